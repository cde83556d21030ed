import { describe, expect, it } from 'vitest';
import { evaluateOne } from '../evaluate.js';
import { parseEvaluators } from '../parse-evaluators.js';
import type { EvalSample, EvalServices } from '../types.js';

const services = {} as EvalServices;
const signal = new AbortController().signal;
const score = (spec: Record<string, unknown>, sample: EvalSample) =>
  evaluateOne(parseEvaluators([spec])[0]!, sample, services, signal);
const sample = (outputs: Record<string, unknown>, expected?: unknown): EvalSample => ({
  input: { question: 'q' },
  outputs,
  ...(expected !== undefined && { expected }),
});

describe('exact', () => {
  it('compares the only output with the expected text, whitespace around aside', async () => {
    expect(await score({ type: 'exact' }, sample({ answer: ' Paris\n' }, 'Paris'))).toEqual({ score: 1, pass: true });
    const miss = await score({ type: 'exact' }, sample({ answer: 'paris' }, 'Paris'));
    expect(miss).toEqual({ score: 0, pass: false, reason: 'expected "Paris", got "paris"' });
  });

  it('compares JSON values in any key order, and the output the evaluator names', async () => {
    const outputs = { route: 'billing', answer: { a: 1, b: [1, 2] } };
    expect((await score({ type: 'exact', output: 'route', expected: 'billing' }, sample(outputs))).pass).toBe(true);
    expect((await score({ type: 'exact', output: 'answer' }, sample(outputs, { b: [1, 2], a: 1 }))).pass).toBe(true);
    expect(
      (await score({ type: 'exact' }, sample(outputs, { route: 'billing', answer: { a: 1, b: [1, 2] } }))).pass,
    ).toBe(true);
  });

  it('prefers its own expected value to the sample one', async () => {
    expect((await score({ type: 'exact', expected: 'x' }, sample({ a: 'x' }, 'y'))).pass).toBe(true);
  });

  it('scores an error, not a throw, when no expected value is given', async () => {
    const verdict = await score({ type: 'exact' }, sample({ a: 'x' }));
    expect(verdict.score).toBeNull();
    expect(verdict.pass).toBe(false);
    expect(verdict.error?.code).toBe('VALIDATION_FAILED');
    expect(verdict.error?.message).toContain('expected');
  });
});

describe('contains', () => {
  it('scores the share of the expected texts found, case-sensitive', async () => {
    const outputs = { answer: 'Order A1001 has shipped with DHL.' };
    expect(await score({ type: 'contains' }, sample(outputs, 'shipped'))).toEqual({ score: 1, pass: true });
    const half = await score({ type: 'contains' }, sample(outputs, ['shipped', 'UPS']));
    expect(half).toMatchObject({ score: 0.5, pass: false, reason: expect.stringContaining('missing "UPS"') });
    expect((await score({ type: 'contains', threshold: 0.5 }, sample(outputs, ['shipped', 'UPS']))).pass).toBe(true);
    expect((await score({ type: 'contains' }, sample(outputs, 'dhl'))).score).toBe(0);
  });
});

describe('regex', () => {
  it('matches anywhere in the output text, with its flags, every time', async () => {
    const spec = { type: 'regex', pattern: '\\bA\\d{4}\\b', flags: 'g' };
    const outputs = { answer: 'Your order A1001 shipped.' };
    expect((await score(spec, sample(outputs))).score).toBe(1);
    // A g flag must not carry lastIndex from one evaluation to the next.
    const [evaluator] = parseEvaluators([spec]);
    for (let i = 0; i < 3; i++)
      expect((await evaluateOne(evaluator!, sample(outputs), services, signal)).pass).toBe(true);
    expect((await score({ type: 'regex', pattern: 'shipped\\.$', flags: 'i' }, sample({ a: 'SHIPPED.' }))).pass).toBe(
      true,
    );
    const miss = await score({ type: 'regex', pattern: '^\\d+$' }, sample({ a: 'forty-two' }));
    expect(miss).toEqual({ score: 0, pass: false, reason: '/^\\d+$/ does not match "forty-two"' });
  });

  it('reads a JSON output as its JSON text', async () => {
    expect((await score({ type: 'regex', pattern: '"ok":true' }, sample({ a: { ok: true } }))).pass).toBe(true);
  });
});
