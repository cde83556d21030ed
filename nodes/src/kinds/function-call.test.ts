import { describe, expect, it } from 'vitest';
import type { NodeContext } from '../define.js';
import type { ToolRef } from '../spec/index.js';
import { functionCall } from './function-call.js';
import { fakeContext, scriptedLlm } from './shared/fake-context.js';

const weather: ToolRef = {
  name: 'get_weather',
  description: 'Weather',
  parameters: { type: 'object' },
  nodeId: 'weather',
};
const time: ToolRef = { name: 'get_time', description: 'Time', parameters: { type: 'object' }, nodeId: 'time' };
const params = {
  model: 'gpt-4o-mini',
  system: '',
  temperature: 0,
  maxTokens: undefined,
  maxIterations: 8,
  stream: true,
};

function call(id: string, name: string, args: string) {
  return { id, type: 'function' as const, function: { name, arguments: args } };
}

describe('function-call', () => {
  it('runs parallel tool calls concurrently, feeds results back and streams the final answer', async () => {
    const llm = scriptedLlm([
      { tool_calls: [call('c1', 'get_weather', '{"city":"Paris"}'), call('c2', 'get_time', '{}')] },
      { content: 'Sunny, and it is noon.' },
    ]);
    // Each tool waits until both have started: sequential calls would never finish.
    let started = 0;
    let release!: () => void;
    const bothStarted = new Promise<void>((resolve) => {
      release = resolve;
    });
    const invoked: { ref: ToolRef; args: Record<string, unknown>; caller: NodeContext }[] = [];
    const tools = {
      invoke: async (ref: ToolRef, args: Record<string, unknown>, caller: NodeContext) => {
        invoked.push({ ref, args, caller });
        if (++started === 2) release();
        await bothStarted;
        return ref.name === 'get_weather' ? { sky: 'sunny' } : 'noon';
      },
    };
    const { ctx, record } = fakeContext({ services: { llm, tools } });
    const out = await functionCall.execute(
      { inputs: { prompt: 'Weather and time?', tools: [weather, time] }, params },
      ctx,
    );
    expect(out.text).toBe('Sunny, and it is noon.');
    expect(invoked.map((i) => [i.ref.name, i.args])).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_time', {}],
    ]);
    expect(invoked[0]?.caller).toBe(ctx);
    const second = llm.requests[1]?.request.messages ?? [];
    expect(second.slice(-3)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [call('c1', 'get_weather', '{"city":"Paris"}'), call('c2', 'get_time', '{}')],
      },
      { role: 'tool', tool_call_id: 'c1', content: '{"sky":"sunny"}' },
      { role: 'tool', tool_call_id: 'c2', content: 'noon' },
    ]);
    expect(llm.requests[0]?.request.tools).toEqual([weather, time]);
    expect(llm.requests.every((r) => r.signal === ctx.signal)).toBe(true);
    expect(record.deltas.join('')).toBe('Sunny, and it is noon.');
    expect(record.usage).toHaveLength(2);
    expect(out.toolCalls).toEqual([
      { name: 'get_weather', arguments: { city: 'Paris' }, result: { sky: 'sunny' } },
      { name: 'get_time', arguments: {}, result: 'noon' },
    ]);
  });

  it('sends a failing tool, an unknown tool and bad arguments back to the model as tool messages', async () => {
    const llm = scriptedLlm([
      {
        tool_calls: [
          call('c1', 'get_weather', '{"city":"X"}'),
          call('c2', 'nope', '{}'),
          call('c3', 'get_time', '{oops'),
        ],
      },
      { content: 'Sorry.' },
    ]);
    const tools = {
      invoke: async () => {
        throw Object.assign(new Error('boom'), { name: 'AppError', code: 'TOOL_FAILED' });
      },
    };
    const { ctx } = fakeContext({ services: { llm, tools } });
    const out = await functionCall.execute({ inputs: { prompt: 'hi', tools: [weather, time] }, params }, ctx);
    expect(out.text).toBe('Sorry.');
    const toolMessages = (llm.requests[1]?.request.messages ?? []).filter((m) => m.role === 'tool');
    expect(toolMessages.map((m) => JSON.parse(m.content ?? '').error.code)).toEqual([
      'TOOL_FAILED',
      'TOOL_FAILED',
      'TOOL_FAILED',
    ]);
    expect(toolMessages[1]?.content).toMatch(/no tool named/);
    expect(toolMessages[2]?.content).toMatch(/not valid JSON/);
  });

  it('stops after maxIterations with TOOL_LOOP_LIMIT', async () => {
    const llm = scriptedLlm([
      { tool_calls: [call('c1', 'get_time', '{}')] },
      { tool_calls: [call('c2', 'get_time', '{}')] },
      { content: 'never reached' },
    ]);
    const { ctx } = fakeContext({ services: { llm, tools: { invoke: async () => 'noon' } } });
    await expect(
      functionCall.execute({ inputs: { prompt: 'loop', tools: [time] }, params: { ...params, maxIterations: 2 } }, ctx),
    ).rejects.toMatchObject({ code: 'TOOL_LOOP_LIMIT' });
    expect(llm.requests).toHaveLength(2);
  });

  it('answers directly without tools and refuses bad input', async () => {
    const llm = scriptedLlm([{ content: 'plain' }]);
    const { ctx } = fakeContext({ services: { llm } });
    const out = await functionCall.execute({ inputs: { messages: [{ role: 'user', content: 'hi' }] }, params }, ctx);
    expect(out.text).toBe('plain');
    expect(llm.requests[0]?.request.tools).toBeUndefined();
    await expect(functionCall.execute({ inputs: {}, params }, ctx)).rejects.toMatchObject({
      code: 'NODE_INPUT_INVALID',
    });
    await expect(
      functionCall.execute({ inputs: { prompt: 'x', tools: [time, time] }, params }, ctx),
    ).rejects.toMatchObject({ code: 'NODE_INPUT_INVALID' });
  });

  it('stops on cancel instead of reporting the tool error to the model', async () => {
    const controller = new AbortController();
    const llm = scriptedLlm([{ tool_calls: [call('c1', 'get_time', '{}')] }, { content: 'x' }]);
    const tools = {
      invoke: async () => {
        controller.abort(new Error('cancelled'));
        throw new Error('aborted');
      },
    };
    const { ctx } = fakeContext({ services: { llm, tools }, signal: controller.signal });
    await expect(functionCall.execute({ inputs: { prompt: 'x', tools: [time] }, params }, ctx)).rejects.toThrow();
    expect(llm.requests).toHaveLength(1);
  });
});
