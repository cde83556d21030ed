import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoFlow, flowOf, startTestApp, type TestApp } from '../testing/fixtures.js';

// Property tests of the HTTP API with generated hostile values (depth, size, unicode, prototype key names): every
// answer is a 2xx or a 4xx in the error shape, never a 500; a refused request stores nothing; a run that was answered
// is stored, ended.

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  const json = flowOf(
    'json-in',
    [
      ['q', 'input', { name: 'q', dataType: 'json' }],
      ['a', 'output', { name: 'a' }],
    ],
    ['q.value→a.value'],
  );
  for (const flow of [echoFlow(), json]) await t.app.inject({ method: 'POST', url: '/api/flows', payload: flow });
});
afterAll(async () => t.close());

const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '', '\u0000', '💥', 'q', 'question'),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);
const deepText = fc
  .tuple(fc.integer({ min: 1, max: 3_000 }), fc.boolean())
  .map(([depth, isArray]) =>
    isArray ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );
const hostileJson: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    fc.string({ unit: 'binary', maxLength: 2_000 }).map((s) => JSON.stringify(s)),
    deepText,
    fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(',')}]`),
    fc
      .array(fc.tuple(hostileKey, tie('value')), { maxLength: 3 })
      .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value;

const CODES_400 = new Set(['BAD_REQUEST', 'VALIDATION_FAILED', 'RUN_INPUT_INVALID', 'FLOW_INVALID']);

async function postText(url: string, text: string) {
  return t.app.inject({ method: 'POST', url, payload: text, headers: { 'content-type': 'application/json' } });
}

async function runCount(): Promise<number> {
  return (await t.app.runtime.store.listRuns({ limit: 10_000 })).length;
}

describe('the run API with hostile values', () => {
  it('answers a run or a 400 in the error shape, never a 500; a refused run stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('echo', 'json-in'),
        fc.oneof(
          hostileJson.map((value) => `{"inputs":{"q":${value}}}`),
          hostileJson.map((value) => `{"inputs":{"question":${value}}}`),
          hostileJson.map((value) => `{"inputs":${value}}`),
          hostileJson,
        ),
        async (flowId, body) => {
          const before = await runCount();
          const res = await postText(`/api/flows/${flowId}/runs`, body);
          const answer = res.json();
          if (res.statusCode === 200) {
            expect(['completed', 'failed']).toContain(answer.status);
            expect((await t.app.runtime.store.getRun(answer.runId))?.status).toBe(answer.status);
            expect(await runCount()).toBe(before + 1);
            return;
          }
          if (res.statusCode === 413) expect(answer.error.code).toBe('BODY_TOO_LARGE');
          else {
            expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
            expect(CODES_400.has(answer.error.code), answer.error.code).toBe(true);
          }
          expect(typeof answer.error.message).toBe('string');
          expect(await runCount()).toBe(before);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a body around the 1 MiB limit: a run, or 413 BODY_TOO_LARGE storing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1_048_000, max: 1_049_000 }), async (size) => {
        const before = await runCount();
        const text = `{"inputs":{"question":"${'x'.repeat(size - 26)}"}}`;
        const res = await postText('/api/flows/echo/runs', text);
        if (Buffer.byteLength(text) > 1024 * 1024) {
          expect(res.statusCode).toBe(413);
          expect(res.json().error.code).toBe('BODY_TOO_LARGE');
          expect(await runCount()).toBe(before);
        } else expect(res.json().status).toBe('completed');
      }),
      { numRuns: 10 },
    );
  });

  it('validate and save agree: a flow POST /api/flows stores has no schema or depth problem in /api/validate', async () => {
    const base = JSON.stringify(echoFlow('hostile'));
    let saved = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('"params":{', '"position":{', '"name":"Echo",', '"edges":['),
        hostileKey,
        hostileJson,
        async (anchor, key, value) => {
          const text = base.replace(
            anchor,
            anchor.endsWith('[') ? `${anchor}${value},` : `${anchor}${JSON.stringify(key)}:${value},`,
          );
          const validate = await postText('/api/validate', text);
          const created = await postText('/api/flows', text);
          expect(validate.statusCode).not.toBe(500);
          expect([201, 400, 409, 413]).toContain(created.statusCode);
          if (created.statusCode === 201) {
            saved++;
            const problems = validate.json().problems as { code: string }[];
            expect(problems.filter((p) => p.code === 'SCHEMA' || p.code === 'VALUE_TOO_DEEP')).toEqual([]);
            await t.app.inject({ method: 'DELETE', url: '/api/flows/hostile' });
          } else if (validate.statusCode === 200 && created.statusCode === 400) {
            // Refused by the save: validate named a problem too (or the body was refused as a whole by both).
            expect(validate.json().ok).toBe(false);
          }
        },
      ),
      { numRuns: 150 },
    );
    expect(saved).toBeGreaterThan(0);
  });
});
