import { defineNode } from '../define.js';
import { AppError, type ErrorBody, toErrorBody, type Values } from '../spec/index.js';
import { flowIdParam, runSavedFlow } from './shared/flows.js';

export const map = defineNode({
  spec: {
    type: 'map',
    version: 1,
    title: 'Map',
    category: 'flows',
    keywords: ['loop', 'for each', 'iterate', 'batch', 'array', 'parallel'],
    description:
      'Runs a saved flow once per item of a list, several at a time, and collects the results in the order of the items.',
    inputs: [
      { name: 'items', dataType: 'any', required: true, description: 'The list to go through.' },
      { name: 'context', dataType: 'json', description: 'An object of further inputs given to every run.' },
    ],
    outputs: [
      { name: 'results', dataType: 'json', description: 'One result per item, in item order.' },
      { name: 'errors', dataType: 'json', description: 'With onError "skip": {index, error} of each failed item.' },
    ],
    params: [
      flowIdParam,
      {
        name: 'inputName',
        kind: 'string',
        default: 'item',
        required: true,
        description: 'The flow input that receives each item.',
      },
      {
        name: 'outputName',
        kind: 'string',
        default: '',
        description: 'The flow output collected per item; empty collects every output as an object.',
      },
      {
        name: 'concurrency',
        kind: 'number',
        default: 4,
        min: 1,
        max: 16,
        integer: true,
        description: 'Items run at once.',
      },
      { name: 'maxItems', kind: 'number', default: 1_000, min: 1, max: 10_000, integer: true },
      {
        name: 'onError',
        kind: 'select',
        options: ['fail', 'skip'],
        default: 'fail',
        description:
          'fail: the first failing item fails the node; skip: its result is null and it is listed in errors.',
      },
    ],
  },
  async execute({ inputs, params }, ctx) {
    const items = inputs.items;
    if (!Array.isArray(items)) throw new AppError('NODE_INPUT_INVALID', 'the "items" input must be a list');
    if (items.length > params.maxItems) {
      throw new AppError(
        'NODE_INPUT_INVALID',
        `the list has ${items.length} items; this map takes at most ${params.maxItems}`,
      );
    }
    const context = inputs.context;
    if (context !== undefined && (context === null || typeof context !== 'object' || Array.isArray(context))) {
      throw new AppError('NODE_INPUT_INVALID', 'the "context" input must be an object of flow inputs');
    }
    const total = items.length;
    const results: unknown[] = new Array(total).fill(null);
    const errors: { index: number; error: ErrorBody }[] = [];
    let next = 0;
    let done = 0;
    let firstError: unknown;
    ctx.log(`${total} item(s), ${Math.min(params.concurrency, total)} at a time`, undefined, { done: 0, total });

    const worker = async () => {
      while (next < total && firstError === undefined) {
        ctx.signal.throwIfAborted();
        const index = next++;
        const runInputs: Values = { ...(context as Values | undefined), [params.inputName]: items[index] };
        try {
          const outputs = await ctx.span(`item ${index + 1}/${total}`, { index, item: items[index] }, (child) =>
            runSavedFlow(child, params.flowId, runInputs),
          );
          results[index] = params.outputName === '' ? outputs : (outputs[params.outputName] ?? null);
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          if (params.onError === 'fail') {
            firstError ??= err;
            return;
          }
          errors.push({ index, error: toErrorBody(err) });
        }
        done++;
        ctx.log(`${done}/${total} items done`, undefined, { done, total });
      }
    };
    await Promise.all(Array.from({ length: Math.min(params.concurrency, total) }, worker));
    if (firstError !== undefined) {
      const body = toErrorBody(firstError);
      throw new AppError(body.code, `an item failed: ${body.message}`, { cause: firstError, details: body.details });
    }
    errors.sort((a, b) => a.index - b.index);
    return { results, errors };
  },
});
