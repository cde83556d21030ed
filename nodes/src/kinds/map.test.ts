import { describe, expect, it } from 'vitest';
import type { FlowRunOptions } from '../services.js';
import { AppError, type Values } from '../spec/index.js';
import { map } from './map.js';
import { fakeContext } from './shared/fake-context.js';

const params = {
  flowId: 'summarize-one',
  inputName: 'item',
  outputName: 'summary',
  concurrency: 2,
  maxItems: 100,
  onError: 'fail',
};

/** A flow runner whose runs finish only when the test says so, recording how many run at once. */
function controlledFlows() {
  const pending: {
    inputs: Values;
    options: FlowRunOptions;
    resolve: (v: Values) => void;
    reject: (e: unknown) => void;
  }[] = [];
  const stats = { active: 0, maxActive: 0 };
  let onStart: () => void = () => {};
  return {
    pending,
    stats,
    waitForStarts(count: number) {
      return new Promise<void>((resolve) => {
        const check = () => {
          if (pending.length >= count) resolve();
          else onStart = check;
        };
        check();
      });
    },
    service: {
      run: (_flowId: string, inputs: Values, options: FlowRunOptions) =>
        new Promise<Values>((resolve, reject) => {
          stats.active++;
          stats.maxActive = Math.max(stats.maxActive, stats.active);
          const done =
            <T>(fn: (v: T) => void) =>
            (v: T) => {
              stats.active--;
              fn(v);
            };
          pending.push({ inputs, options, resolve: done(resolve), reject: done(reject) });
          onStart();
        }),
    },
  };
}

describe('map', () => {
  it('runs the flow per item up to the concurrency limit and keeps results in item order', async () => {
    const flows = controlledFlows();
    const { ctx, record } = fakeContext({ services: { flows: flows.service }, request: { depth: 0 } });
    const running = map.execute({ inputs: { items: ['a', 'b', 'c'], context: { style: 'short' } }, params }, ctx);
    await flows.waitForStarts(2);
    expect(flows.pending.map((p) => p.inputs)).toEqual([
      { style: 'short', item: 'a' },
      { style: 'short', item: 'b' },
    ]);
    // Finish the second item first: results must still come back in item order.
    flows.pending[1]?.resolve({ summary: 'B' });
    await flows.waitForStarts(3);
    flows.pending[2]?.resolve({ summary: 'C' });
    flows.pending[0]?.resolve({ summary: 'A' });
    const out = await running;
    expect(out.results).toEqual(['A', 'B', 'C']);
    expect(flows.stats.maxActive).toBe(2);
    expect(record.spans.map((s) => s.name)).toEqual(['item 1/3', 'item 2/3', 'item 3/3']);
    expect(flows.pending.every((p) => p.options.depth === 1 && p.options.signal === ctx.signal)).toBe(true);
    expect(record.logs.at(-1)?.progress).toEqual({ done: 3, total: 3 });
  });

  it('fails on the first failing item, or skips it with onError "skip"', async () => {
    const flows = {
      run: async (_id: string, inputs: Values) => {
        if (inputs.item === 2) throw new AppError('SANDBOX_ERROR', 'bad item');
        return { summary: `s${inputs.item}` };
      },
    };
    const { ctx } = fakeContext({ services: { flows } });
    await expect(map.execute({ inputs: { items: [1, 2, 3] }, params }, ctx)).rejects.toMatchObject({
      code: 'SANDBOX_ERROR',
    });
    const out = await map.execute({ inputs: { items: [1, 2, 3] }, params: { ...params, onError: 'skip' } }, ctx);
    expect(out.results).toEqual(['s1', null, 's3']);
    expect(out.errors).toEqual([{ index: 1, error: { code: 'SANDBOX_ERROR', message: 'bad item' } }]);
  });

  it('collects every output when outputName is empty, and handles an empty list', async () => {
    const { ctx } = fakeContext({
      services: { flows: { run: async (_id: string, inputs: Values) => ({ a: inputs.item, b: 1 }) } },
    });
    expect(
      (await map.execute({ inputs: { items: ['x'] }, params: { ...params, outputName: '' } }, ctx)).results,
    ).toEqual([{ a: 'x', b: 1 }]);
    expect((await map.execute({ inputs: { items: [] }, params }, ctx)).results).toEqual([]);
  });

  it('refuses a non-list, too many items, a bad context and too deep nesting', async () => {
    const { ctx } = fakeContext({ services: { flows: { run: async () => ({}) } }, request: { depth: 8 } });
    await expect(map.execute({ inputs: { items: 'abc' }, params }, ctx)).rejects.toMatchObject({
      code: 'NODE_INPUT_INVALID',
    });
    await expect(
      map.execute({ inputs: { items: [1, 2, 3] }, params: { ...params, maxItems: 2 } }, ctx),
    ).rejects.toMatchObject({ code: 'NODE_INPUT_INVALID' });
    await expect(map.execute({ inputs: { items: [1], context: [1] }, params }, ctx)).rejects.toMatchObject({
      code: 'NODE_INPUT_INVALID',
    });
    await expect(map.execute({ inputs: { items: [1] }, params }, ctx)).rejects.toMatchObject({
      code: 'SUBFLOW_DEPTH_EXCEEDED',
    });
  });
});
