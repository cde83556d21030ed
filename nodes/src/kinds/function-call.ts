import { defineNode } from '../define.js';
import { AppError, type ToolCall, type ToolRef, toErrorBody } from '../spec/index.js';
import {
  chatMessages,
  maxTokensParam,
  modelParam,
  providerOf,
  providerParam,
  systemParam,
  temperatureParam,
} from './shared/model.js';
import { service } from './shared/services.js';
import { isToolName } from './shared/tool.js';

const MAX_RESULT_CHARS = 100_000;

/** What a tool call gave back to the model: its text, and whether it was an error. */
interface CallOutcome {
  content: string;
  error?: { code: string; message: string };
}

export const functionCall = defineNode({
  spec: {
    type: 'function-call',
    version: 1,
    title: 'Function calling',
    category: 'tools',
    keywords: ['agent', 'tool', 'tools', 'openai', 'function calling', 'react'],
    description:
      'Lets a chat model call the tools wired into its "tools" input, feeding results back until it answers. Parallel calls run at once; a failing tool is reported to the model instead of stopping the run.',
    streams: true,
    inputs: [
      { name: 'prompt', dataType: 'text', description: 'Sent as the last user message.' },
      { name: 'messages', dataType: 'messages', description: 'Conversation so far; the prompt, if any, is appended.' },
      { name: 'tools', dataType: 'tool', multiple: true, description: 'Tool nodes the model may call.' },
    ],
    outputs: [
      { name: 'text', dataType: 'text', description: 'The final answer.' },
      {
        name: 'messages',
        dataType: 'messages',
        description: 'The conversation with tool calls, results and the answer.',
      },
      { name: 'toolCalls', dataType: 'json', description: 'Every tool call made: name, arguments, result or error.' },
    ],
    params: [
      providerParam,
      modelParam,
      systemParam,
      temperatureParam,
      maxTokensParam,
      {
        name: 'maxIterations',
        kind: 'number',
        default: 8,
        min: 1,
        max: 50,
        integer: true,
        description: 'Most model turns before giving up (each turn may call several tools).',
      },
      { name: 'stream', kind: 'boolean', default: true },
    ],
  },
  async execute({ inputs, params }, ctx) {
    const tools = (inputs.tools ?? []) as ToolRef[];
    const byName = new Map<string, ToolRef>();
    for (const tool of tools) {
      if (!tool || !isToolName(tool.name)) {
        throw new AppError(
          'NODE_INPUT_INVALID',
          `tool name "${String(tool?.name)}" must be 1-64 letters, digits, _ or -`,
        );
      }
      if (byName.has(tool.name)) throw new AppError('NODE_INPUT_INVALID', `two tools are named "${tool.name}"`);
      byName.set(tool.name, tool);
    }
    const messages = chatMessages('function-call', params.system, inputs);
    const history: { name: string; arguments: unknown; result?: unknown; error?: { code: string; message: string } }[] =
      [];

    for (let turn = 0; turn < params.maxIterations; turn++) {
      ctx.signal.throwIfAborted();
      const result = await ctx.services.llm.chat(
        {
          ...providerOf(params.provider),
          model: params.model,
          messages,
          temperature: params.temperature,
          maxTokens: params.maxTokens,
          ...(tools.length > 0 && { tools }),
        },
        { signal: ctx.signal, onDelta: params.stream ? (text) => ctx.delta(text) : undefined },
      );
      ctx.addUsage(result.usage, result.costUsd, result.model);
      const calls = result.message.tool_calls ?? [];
      if (calls.length === 0) {
        const text = result.message.content ?? '';
        messages.push({ role: 'assistant', content: text });
        return { text, messages: messages.filter((m) => m.role !== 'system'), toolCalls: history };
      }
      messages.push({ role: 'assistant', content: result.message.content ?? null, tool_calls: calls });
      ctx.log(`turn ${turn + 1}: ${calls.length} tool call(s)`, { tools: calls.map((c) => c.function.name) });
      // Parallel calls run at once; their results go back in the order the model asked for them.
      const outcomes = await Promise.all(calls.map((call) => callTool(call)));
      calls.forEach((call, i) => {
        const outcome = outcomes[i] as CallOutcome;
        messages.push({ role: 'tool', tool_call_id: call.id, content: outcome.content });
      });
    }
    throw new AppError(
      'TOOL_LOOP_LIMIT',
      `the model was still calling tools after ${params.maxIterations} turns (raise maxIterations, or check the tools' answers)`,
      { details: history.slice(-10) },
    );

    async function callTool(call: ToolCall): Promise<CallOutcome> {
      const name = call.function.name;
      let args: unknown;
      const record: (typeof history)[number] = { name, arguments: call.function.arguments };
      history.push(record);
      const fail = (code: string, message: string): CallOutcome => {
        record.error = { code, message };
        return { content: JSON.stringify({ error: { code, message } }), error: record.error };
      };
      const tool = byName.get(name);
      if (!tool)
        return fail('TOOL_FAILED', `there is no tool named "${name}"; available: ${[...byName.keys()].join(', ')}`);
      try {
        args = call.function.arguments.trim() === '' ? {} : JSON.parse(call.function.arguments);
      } catch {
        return fail('TOOL_FAILED', `the arguments of "${name}" are not valid JSON`);
      }
      if (args === null || typeof args !== 'object' || Array.isArray(args)) {
        return fail('TOOL_FAILED', `the arguments of "${name}" must be a JSON object`);
      }
      record.arguments = args;
      try {
        const value = await service(ctx, 'tools').invoke(tool, args as Record<string, unknown>, ctx);
        record.result = value;
        const content = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
        return {
          content: content.length > MAX_RESULT_CHARS ? `${content.slice(0, MAX_RESULT_CHARS)}…(truncated)` : content,
        };
      } catch (err) {
        // A cancelled run stops the loop; any other tool failure is the model's to handle.
        if (ctx.signal.aborted) throw err;
        const body = toErrorBody(err);
        const message = body.code === 'INTERNAL' && err instanceof Error ? err.message : body.message;
        return fail(body.code, message);
      }
    }
  },
});
