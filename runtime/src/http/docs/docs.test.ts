import { readFileSync } from 'node:fs';
import { AppError, ERROR_CODES, type ErrorCode } from '@flowloom/nodes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../testing/fixtures.js';

// The documentation checked against the running app: every route, status and error code the docs list must exist
// in the OpenAPI document and in nodes/src/spec/errors.ts, and every route of the OpenAPI document must be documented.

const HTTP_DOCS = ['docs/api.md', 'docs/publishing.md', 'docs/nodes.md', 'docs/contracts.md'] as const;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** Routes outside the OpenAPI document (hidden on purpose): the document itself and its route list. */
const UNDESCRIBED = new Set(['GET /api/docs', 'GET /api/docs/ui']);
/**
 * Error rows whose status is not the code's own (`new AppError(code).status`), each with the reason it differs.
 * Anything else documented under another status than its code's is a doc bug (or a missing entry in errors.ts).
 */
const OTHER_STATUS: Record<string, string> = {
  '415 BAD_REQUEST': 'an unsupported content type (Fastify) or an unsupported upload file type',
};

interface OpenApi {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], { responses?: Record<string, unknown> }>>>;
}

let t: TestApp;
let openapi: OpenApi;
/** `METHOD /path` (path params as `{}`) → the statuses the OpenAPI document gives it. */
const operations = new Map<string, string[]>();

beforeAll(async () => {
  t = await startTestApp();
  openapi = (await t.app.inject({ method: 'GET', url: '/api/docs' })).json() as OpenApi;
  for (const [path, byMethod] of Object.entries(openapi.paths)) {
    for (const method of METHODS) {
      const operation = byMethod[method];
      if (operation) operations.set(routeKey(method, path), Object.keys(operation.responses ?? {}));
    }
  }
});
afterAll(async () => t?.close());

/** A document, without its sections about parts that are planned and not built yet. */
function read(path: string): string {
  const text = readFileSync(new URL(`../../../../${path}`, import.meta.url), 'utf8');
  return text
    .split(/^(?=## )/m)
    .filter((section) => !/^## .*\(planned, not built yet\)/.test(section))
    .join('');
}

/** `GET /api/flows/{id}` and `GET /api/flows/:id` alike: `GET /api/flows/{}`. */
function routeKey(method: string, path: string): string {
  const bare = path.split('?')[0]?.replace(/\/$/, '') ?? path;
  return `${method.toUpperCase()} ${bare.replace(/\{[^}]+\}|:[A-Za-z]+/g, '{}')}`;
}

/** The blocks of a Markdown document a route is described in: table rows, list items and paragraphs. */
function blocks(document: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length > 0) out.push(current.join(' '));
    current = [];
  };
  for (const line of document.split('\n')) {
    if (line.trim() === '' || line.startsWith('|') || /^\s*- /.test(line)) flush();
    if (line.startsWith('|')) out.push(line);
    else if (line.trim() !== '') current.push(line);
  }
  flush();
  return out;
}

/** Every route named in backticks in a block: `GET /api/x`, `GET/PUT /api/x`, `GET /api/x?query`. */
function routesIn(block: string): string[] {
  const routes: string[] = [];
  for (const match of block.matchAll(
    /`((?:GET|POST|PUT|PATCH|DELETE)(?:\/(?:GET|POST|PUT|PATCH|DELETE))*) (\/api[^`\s]*)[^`]*`/g,
  )) {
    for (const method of (match[1] as string).split('/')) routes.push(routeKey(method, match[2] as string));
  }
  return routes;
}

/** The rows of every `| status | code | when |` table (or `| code | status | meaning |`) of a document. */
function errorRows(document: string): { status: string; codes: string[]; row: string }[] {
  const rows: { status: string; codes: string[]; row: string }[] = [];
  let columns: string[] | undefined;
  for (const line of document.split('\n')) {
    if (!line.startsWith('|')) {
      columns = undefined;
      continue;
    }
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim());
    if (columns === undefined) {
      columns = cells;
      continue;
    }
    if (!columns.includes('code') || !columns.includes('status') || /^-+$/.test(cells[0] ?? '')) continue;
    const status = cells[columns.indexOf('status')] ?? '';
    const codes = [...(cells[columns.indexOf('code')] ?? '').matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1] as string);
    rows.push({ status, codes, row: line });
  }
  return rows;
}

describe('the routes of the docs and the OpenAPI document', () => {
  it('every route the docs name exists in the OpenAPI document', () => {
    for (const path of HTTP_DOCS) {
      const named = blocks(read(path)).flatMap(routesIn);
      expect(named.length, path).toBeGreaterThan(0);
      const unknown = named.filter((route) => !operations.has(route) && !UNDESCRIBED.has(route));
      expect(unknown, `${path} names routes the app does not have`).toEqual([]);
    }
  });

  it('every operation of the OpenAPI document is documented in a guide and in the contract', () => {
    const guides = new Set(
      ['docs/api.md', 'docs/publishing.md', 'docs/nodes.md'].flatMap((p) => blocks(read(p)).flatMap(routesIn)),
    );
    const contract = new Set(blocks(read('docs/contracts.md')).flatMap(routesIn));
    expect([...operations.keys()].filter((route) => !guides.has(route))).toEqual([]);
    expect([...operations.keys()].filter((route) => !contract.has(route))).toEqual([]);
  });

  it('a success status other than 200 is documented where the route is, and a documented one is the real one', () => {
    const documented = HTTP_DOCS.flatMap((path) =>
      blocks(read(path)).map((block) => ({ path, block, routes: routesIn(block) })),
    );
    for (const [route, statuses] of operations) {
      for (const status of statuses.filter((s) => /^2\d\d$/.test(s) && s !== '200')) {
        const places = documented.filter((d) => d.routes.includes(route));
        const says = places.some((d) => new RegExp(`\\b${status}\\b`).test(d.block));
        expect(says, `${route} answers ${status}: no block of the docs naming the route says so`).toBe(true);
      }
    }
    // A table row about one route that names a 2xx status: the route must answer it.
    for (const { path, block, routes } of documented) {
      if (!block.startsWith('|')) continue;
      const unique = [...new Set(routes)];
      if (unique.length !== 1) continue;
      const route = unique[0] as string;
      for (const [status] of block.matchAll(/\b2\d\d\b/g)) {
        expect(operations.get(route), `${path}: ${route} is said to answer ${status}`).toContain(status);
      }
    }
  });

  it('every operation describes its error answers (4xx and 5xx), which the error tables below detail', () => {
    for (const [route, statuses] of operations) {
      if (route === 'GET /api/schema/flow.json') continue; // a static document: nothing to refuse
      expect(statuses, route).toEqual(expect.arrayContaining(['4XX', '5XX']));
    }
  });
});

describe('the error codes of the docs and nodes/src/spec/errors.ts', () => {
  it('every code in an error table is a public code, under its own status (or a listed other one)', () => {
    const known = new Set<string>(ERROR_CODES);
    for (const path of HTTP_DOCS) {
      const rows = errorRows(read(path));
      if (path !== 'docs/nodes.md') expect(rows.length, path).toBeGreaterThan(0);
      for (const { status, codes, row } of rows) {
        expect(codes.length, row).toBeGreaterThan(0);
        for (const code of codes) {
          expect(known.has(code), `${path}: ${code} is not in ERROR_CODES`).toBe(true);
          if (status === '—') continue;
          const own = String(new AppError(code as ErrorCode, '').status);
          if (status !== own) expect(OTHER_STATUS[`${status} ${code}`], `${path}: ${row}`).toBeDefined();
        }
      }
    }
  });

  it('docs/contracts.md lists every code, once per status', () => {
    const rows = errorRows(read('docs/contracts.md'));
    const listed = rows.flatMap((row) => row.codes);
    expect([...new Set(listed)].sort()).toEqual([...ERROR_CODES].sort());
    const keys = rows.flatMap((row) => row.codes.map((code) => `${row.status} ${code}`));
    expect(keys.length).toBe(new Set(keys).size);
  });

  it('docs/api.md lists the codes its routes answer with, CONFLICT included', () => {
    const codes = new Set(errorRows(read('docs/api.md')).flatMap((row) => row.codes));
    for (const code of [
      'CONFLICT',
      'RUN_NOT_RUNNING',
      'FLOW_VERSION_CONFLICT',
      'BODY_TOO_LARGE',
      'VECTOR_STORE_UNAVAILABLE',
    ]) {
      expect(codes.has(code), code).toBe(true);
    }
  });
});
