import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlowFile } from '@flowloom/nodes';
import { inject } from 'vitest';
import { type Config, testConfig } from '../config.js';
import type { ExperimentEvent } from '../experiments/experiment-service.js';
import { type App, buildApp } from '../http/app.js';
import { createRuntime } from '../kernel.js';
import { PostgresStore } from '../store/postgres/store.js';
import { SqliteStore } from '../store/store.js';

// Test helpers (not used by the runtime itself): package-local temp folders and small flows.

const TMP_ROOT = fileURLToPath(new URL('../../.tmp-tests/', import.meta.url));
let counter = 0;

/** A fresh folder under runtime/.tmp-tests (gitignored); remove it with `removeTempDir`. */
export function tempDir(label = 'data'): string {
  const dir = join(TMP_ROOT, `${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The server as `main.ts` builds it, minus the port: the runtime, then the app over it (closing the app closes both). */
export async function buildTestApp(config: Config): Promise<App> {
  return buildApp(await createRuntime(config), config);
}

export interface TestApp {
  app: App;
  dataDir: string;
  close(): Promise<void>;
}

let schemas = 0;

/**
 * The store settings of a test app: SQLite in its data folder, or (FLOWLOOM_TEST_DATABASE=postgres) a schema of its
 * own in the run's test database.
 */
function testStore(): Partial<Config> {
  const url = inject('testDatabaseUrl');
  if (url === undefined) return {};
  return { databaseUrl: url, postgres: { schema: `app_${process.pid}_${Date.now().toString(36)}_${schemas++}` } };
}

/** An app on a fresh data folder (and schema); no model provider unless `openai`/`llm` is given. */
export async function startTestApp(overrides: Partial<Config> = {}): Promise<TestApp> {
  const dataDir = tempDir();
  let app: App;
  try {
    app = await buildTestApp(
      testConfig({ dataDir, templatesDir: join(dataDir, 'no-templates'), ...testStore(), ...overrides }),
    );
    await app.ready();
  } catch (err) {
    removeTempDir(dataDir);
    throw err;
  }
  return {
    app,
    dataDir,
    async close() {
      await app.close();
      removeTempDir(dataDir);
    },
  };
}

/**
 * Rows of an app's store that the API does not show, read with the statement of its backend (`?` and `$1`
 * parameters respectively).
 */
export async function storedRows(
  app: App,
  statements: { sqlite: string; postgres: string },
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const { store } = app.runtime;
  if (store instanceof SqliteStore)
    return store.db.prepare(statements.sqlite).all(...params) as Record<string, unknown>[];
  if (store instanceof PostgresStore) return (await store.pool.query(statements.postgres, params)).rows;
  throw new Error(`no rows to read from a ${store.kind} store`);
}

/** Resolves once the clock has moved on a millisecond: what is written after it has a later timestamp. */
export async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() === now) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** Resolves with an experiment's final status, however soon it ends (at once when it has ended). */
export function experimentEnded(app: App, id: string): Promise<string> {
  return new Promise((resolve) => {
    const stop = app.runtime.experiments.onEvent((event: ExperimentEvent) => {
      if (event.type === 'experiment.completed' && event.experimentId === id) {
        stop();
        resolve(event.status);
      }
    });
    void app.runtime.experiments.watchState(id).then(({ status }) => {
      if (status !== 'queued' && status !== 'running') {
        stop();
        resolve(status);
      }
    });
  });
}

/** question (text) → answer: no model involved. */
export function echoFlow(id = 'echo'): FlowFile {
  return {
    format: 'flowloom.flow/v1',
    id,
    name: 'Echo',
    description: 'Returns its question.',
    nodes: [
      { id: 'question', type: 'input', position: { x: 0, y: 0 }, params: { name: 'question', dataType: 'text' } },
      { id: 'answer', type: 'output', position: { x: 260, y: 0 }, params: { name: 'answer' } },
    ],
    edges: [{ id: 'e1', source: 'question', sourcePort: 'value', target: 'answer', targetPort: 'value' }],
  };
}

/** question → prompt → llm → answer. */
export function chatFlow(id = 'chat', model = 'gpt-4o-mini'): FlowFile {
  return {
    format: 'flowloom.flow/v1',
    id,
    name: 'Chat',
    nodes: [
      { id: 'question', type: 'input', position: { x: 0, y: 0 } },
      { id: 'prompt', type: 'prompt', position: { x: 260, y: 0 }, params: { template: 'Q: {{question}}' } },
      { id: 'llm', type: 'llm', position: { x: 520, y: 0 }, params: { model, temperature: 0 } },
      { id: 'answer', type: 'output', position: { x: 780, y: 0 } },
    ],
    edges: [
      { id: 'e1', source: 'question', sourcePort: 'value', target: 'prompt', targetPort: 'question' },
      { id: 'e2', source: 'prompt', sourcePort: 'prompt', target: 'llm', targetPort: 'prompt' },
      { id: 'e3', source: 'llm', sourcePort: 'text', target: 'answer', targetPort: 'value' },
    ],
  };
}

/** A flow from nodes and `source.port→target.port` edges; positions do not matter here. */
export function flowOf(id: string, nodes: [string, string, Record<string, unknown>?][], edges: string[]): FlowFile {
  return {
    format: 'flowloom.flow/v1',
    id,
    name: id,
    nodes: nodes.map(([nodeId, type, params], i) => ({
      id: nodeId,
      type,
      position: { x: i * 200, y: 0 },
      ...(params && { params }),
    })),
    edges: edges.map((text, i) => {
      const [from, to] = text.split('→') as [string, string];
      const [source, sourcePort] = from.split('.') as [string, string];
      const [target, targetPort] = to.split('.') as [string, string];
      return { id: `e${i}`, source, sourcePort, target, targetPort };
    }),
  };
}

/** Parses a server-sent event stream body into its `data:` JSON payloads. */
export function parseSse(body: string): unknown[] {
  return body
    .split('\n\n')
    .map((block) => block.split('\n').find((line) => line.startsWith('data: ')))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice('data: '.length)) as unknown);
}
