import { AppError, BUILTIN_KINDS, defineNode, type FlowFile, type FlowRunner, NodeRegistry } from '@flowloom/nodes';

/** Node kinds for engine tests and benchmarks: deterministic, controllable, no services needed. */
export const passThrough = defineNode({
  spec: {
    type: 'test-pass',
    version: 1,
    title: 'Pass',
    category: 'data',
    description: 'Returns its input.',
    inputs: [{ name: 'in', dataType: 'any' }],
    outputs: [{ name: 'out', dataType: 'any' }],
    params: [{ name: 'value', kind: 'json' }],
  },
  async execute({ inputs, params }) {
    return { out: inputs.in ?? params.value };
  },
});

/** Waits `ms` (abortable), tracking how many run at once in `sleepStats`. */
export const sleepStats = { active: 0, maxActive: 0, aborted: 0, started: 0 };
export const sleepKind = defineNode({
  spec: {
    type: 'test-sleep',
    version: 1,
    title: 'Sleep',
    category: 'data',
    description: 'Waits, then returns its input.',
    inputs: [{ name: 'in', dataType: 'any' }],
    outputs: [{ name: 'out', dataType: 'any' }],
    params: [{ name: 'ms', kind: 'number', default: 10 }],
  },
  async execute({ inputs, params }, ctx) {
    sleepStats.started++;
    sleepStats.active++;
    sleepStats.maxActive = Math.max(sleepStats.maxActive, sleepStats.active);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, params.ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          sleepStats.aborted++;
          reject(ctx.signal.reason);
        });
      });
    } finally {
      sleepStats.active--;
    }
    return { out: inputs.in ?? params.ms };
  },
});

/** Fails `failTimes` times (retryable or not), then returns; counts attempts per node id. */
export const flakyAttempts = new Map<string, number>();
export const flaky = defineNode({
  spec: {
    type: 'test-flaky',
    version: 1,
    title: 'Flaky',
    category: 'data',
    description: 'Fails a number of times (optionally after streaming some text), then succeeds.',
    inputs: [{ name: 'in', dataType: 'any' }],
    outputs: [{ name: 'out', dataType: 'any' }],
    params: [
      { name: 'failTimes', kind: 'number', default: 1 },
      { name: 'retryable', kind: 'boolean', default: true },
      { name: 'streams', kind: 'boolean', default: false },
    ],
  },
  async execute({ inputs, params }, ctx) {
    const attempt = (flakyAttempts.get(ctx.nodeId) ?? 0) + 1;
    flakyAttempts.set(ctx.nodeId, attempt);
    // Like a model stream cut in the middle: some text first, then the failure.
    if (params.streams) ctx.delta(`attempt ${attempt} `);
    if (attempt <= params.failTimes) {
      throw new AppError(params.retryable ? 'PROVIDER_RATE_LIMITED' : 'PROVIDER_ERROR', `attempt ${attempt} failed`, {
        retryable: params.retryable,
      });
    }
    return { out: inputs.in ?? attempt };
  },
});

/** Streams `chunks` pieces of text through ctx.delta with `gapMs` between them. */
export const streamer = defineNode({
  spec: {
    type: 'test-stream',
    version: 1,
    title: 'Stream',
    category: 'data',
    description: 'Streams numbered chunks.',
    streams: true,
    inputs: [],
    outputs: [{ name: 'text', dataType: 'text' }],
    params: [
      { name: 'chunks', kind: 'number', default: 100 },
      { name: 'gapMs', kind: 'number', default: 0 },
    ],
  },
  async execute({ params }, ctx) {
    let text = '';
    for (let i = 0; i < params.chunks; i++) {
      const piece = `${i} `;
      text += piece;
      ctx.delta(piece);
      if (params.gapMs > 0) await new Promise((r) => setTimeout(r, params.gapMs));
      else if (i % 10 === 0) await Promise.resolve();
    }
    return { text };
  },
});

/** Routes its input to `yes` or `no`: the branch not taken is skipped. */
export const gate = defineNode({
  spec: {
    type: 'test-gate',
    version: 1,
    title: 'Gate',
    category: 'logic',
    description: 'Sends the input to yes when truthy, else to no.',
    branching: true,
    inputs: [{ name: 'in', dataType: 'any', required: true }],
    outputs: [
      { name: 'yes', dataType: 'any' },
      { name: 'no', dataType: 'any' },
    ],
    params: [],
  },
  async execute({ inputs }) {
    return inputs.in ? { yes: inputs.in } : { no: inputs.in };
  },
});

/** Collects every value wired into its multi-valued input. */
export const collect = defineNode({
  spec: {
    type: 'test-collect',
    version: 1,
    title: 'Collect',
    category: 'data',
    description: 'Outputs the list of its inputs.',
    inputs: [{ name: 'items', dataType: 'any', multiple: true }],
    outputs: [{ name: 'list', dataType: 'json' }],
    params: [],
  },
  async execute({ inputs }) {
    return { list: inputs.items };
  },
});

/**
 * A kind at version 2, to prove kind versions. Version 1 had a param `greeting` with default "Hello"; version 2 renamed
 * it `salutation` and changed the default to "Hi". Its migration renames the param and writes the old default into
 * nodes that relied on it, so a flow saved by version 1 still greets with "Hello".
 */
export const greet = defineNode({
  spec: {
    type: 'test-greet',
    version: 2,
    title: 'Greet',
    category: 'data',
    description: 'Greets a name.',
    inputs: [{ name: 'name', dataType: 'text', required: true }],
    outputs: [{ name: 'text', dataType: 'text' }],
    params: [{ name: 'salutation', kind: 'string', default: 'Hi' }],
  },
  migrations: {
    2: ({ greeting, ...rest }) => ({ ...rest, salutation: greeting ?? 'Hello' }),
  },
  async execute({ inputs, params }) {
    return { text: `${params.salutation}, ${inputs.name}` };
  },
});

/**
 * Runs the saved flow its `flowId` names, as subflow kinds do, through `ctx.services.flows` (registered by the app
 * tests that need it). The param is a plain string, not of kind `flow`: publishing does not freeze what it names.
 */
export const callFlow = defineNode({
  spec: {
    type: 'test-call-flow',
    version: 1,
    title: 'Call flow',
    category: 'flows',
    description: 'Runs a saved flow.',
    inputs: [{ name: 'value', dataType: 'text', required: true }],
    outputs: [{ name: 'value', dataType: 'any' }],
    params: [{ name: 'flowId', kind: 'string', required: true }],
  },
  async execute({ inputs, params }, ctx) {
    const flows = ctx.services.flows as FlowRunner;
    const outputs = await flows.run(params.flowId, { question: inputs.value }, { signal: ctx.signal });
    return { value: outputs.answer };
  },
});

export const TEST_KINDS = [passThrough, sleepKind, flaky, streamer, gate, collect, greet];

/** The built-in kinds plus the test kinds. */
export function testRegistry(): NodeRegistry {
  return new NodeRegistry([...BUILTIN_KINDS, ...TEST_KINDS]);
}

/** A flow for tests: nodes as given, edges as `[source, sourcePort, target, targetPort]` tuples. */
export function testFlow(nodes: FlowFile['nodes'], edges: [string, string, string, string][] = []): FlowFile {
  return {
    format: 'flowloom.flow/v1',
    id: 'test',
    name: 'Test',
    nodes,
    edges: edges.map(([source, sourcePort, target, targetPort], i) => ({
      id: `e${i}`,
      source,
      sourcePort,
      target,
      targetPort,
    })),
  };
}
