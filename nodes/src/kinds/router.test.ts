import { describe, expect, it } from 'vitest';
import { resolveOutputs } from '../spec/index.js';
import { parseRoutes, pickRoute, router } from './router.js';
import { fakeContext, scriptedLlm } from './shared/fake-context.js';

const routes = [
  { name: 'billing', description: 'Invoices and refunds.' },
  { name: 'technical', description: 'Bugs and errors.' },
  'other',
];
const params = { model: 'gpt-4o-mini', routes, instructions: '', fallback: '', temperature: 0, structured: true };

describe('router', () => {
  it('has one output per route besides "route"', () => {
    expect(resolveOutputs(router.spec, { routes }).map((p) => p.name)).toEqual([
      'route',
      'billing',
      'technical',
      'other',
    ]);
  });

  it('asks for a JSON route limited to the names and sends the text out on the chosen route only', async () => {
    const llm = scriptedLlm([{ content: '{"route":"technical"}' }]);
    const { ctx } = fakeContext({ services: { llm } });
    const out = await router.execute({ inputs: { text: 'The app crashes' }, params }, ctx);
    expect(out).toEqual({ route: 'technical', technical: 'The app crashes' });
    const request = llm.requests[0]?.request;
    expect(request?.responseFormat).toMatchObject({
      type: 'json_schema',
      json_schema: { schema: { properties: { route: { enum: ['billing', 'technical', 'other'] } } } },
    });
    expect(request?.messages[0]?.content).toMatch(/billing: Invoices and refunds/);
    expect(llm.requests[0]?.signal).toBe(ctx.signal);
  });

  it('reads plain-text answers', () => {
    const list = parseRoutes(routes);
    expect(pickRoute('Billing.', list)).toBe('billing');
    expect(pickRoute('I would say technical here', list)).toBe('technical');
    expect(pickRoute('billing or technical', list)).toBeUndefined();
  });

  it('takes the fallback or fails with ROUTE_UNKNOWN when the answer names no route', async () => {
    const { ctx } = fakeContext({ services: { llm: scriptedLlm([{ content: 'pizza' }, { content: 'pizza' }]) } });
    expect(await router.execute({ inputs: { text: 'x' }, params: { ...params, fallback: 'other' } }, ctx)).toEqual({
      route: 'other',
      other: 'x',
    });
    await expect(router.execute({ inputs: { text: 'x' }, params }, ctx)).rejects.toMatchObject({
      code: 'ROUTE_UNKNOWN',
    });
  });

  it('refuses bad routes params', async () => {
    const { ctx } = fakeContext();
    for (const bad of [
      ['only'],
      'billing',
      [{ name: '1st' }, 'b'],
      ['a', 'a'],
      ['route', 'b'],
      [{ name: 'a', description: 3 }, 'b'],
    ]) {
      await expect(
        router.execute({ inputs: { text: 'x' }, params: { ...params, routes: bad } }, ctx),
      ).rejects.toMatchObject({
        code: 'NODE_PARAM_INVALID',
      });
    }
    await expect(
      router.execute({ inputs: { text: 'x' }, params: { ...params, fallback: 'nowhere' } }, ctx),
    ).rejects.toMatchObject({ code: 'NODE_PARAM_INVALID' });
  });
});
