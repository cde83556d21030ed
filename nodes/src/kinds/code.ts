import { defineNode } from '../define.js';
import type { Values } from '../spec/index.js';
import { listNames } from '../spec/index.js';
import { service } from './shared/services.js';

export const code = defineNode({
  spec: {
    type: 'code',
    version: 1,
    title: 'Code',
    category: 'data',
    keywords: ['javascript', 'js', 'script', 'function', 'sandbox', 'transform'],
    description:
      'Runs your JavaScript in a sandbox with no file, network or process access. The code sees its inputs as `inputs` and returns the result (JSON); console.log lines go to the trace.',
    inputs: [],
    outputs: [{ name: 'result', dataType: 'any', description: 'What the code returned.' }],
    dynamicInputs: { fromParam: 'inputNames', source: 'list', dataType: 'any', required: false },
    params: [
      {
        name: 'code',
        kind: 'code',
        language: 'javascript',
        required: true,
        default: 'return inputs.input;',
        maxLength: 200_000,
        description: 'Body of an async function of `inputs`; `return` the result.',
      },
      {
        name: 'inputNames',
        kind: 'json',
        default: ['input'],
        description: 'Names of the input ports, seen as inputs.<name>.',
      },
      {
        name: 'timeoutMs',
        kind: 'number',
        default: 1_000,
        min: 10,
        max: 30_000,
        integer: true,
        description: 'Time limit.',
      },
      { name: 'memoryMb', kind: 'number', default: 32, min: 1, max: 256, integer: true, description: 'Memory limit.' },
    ],
  },
  async execute({ inputs, params }, ctx) {
    const values: Values = {};
    for (const name of listNames(params.inputNames)) values[name] = inputs[name] ?? null;
    const result = await service(ctx, 'sandbox').run(
      params.code,
      { inputs: values },
      {
        signal: ctx.signal,
        timeoutMs: params.timeoutMs,
        memoryBytes: params.memoryMb * 1024 * 1024,
        onLog: (line) => ctx.log(line),
      },
    );
    return { result: result ?? null };
  },
});
