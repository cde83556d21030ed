import type { NodeServices } from './services.js';
import type { DataTypeMap, NodeSpec, ParamSpec, PortSpec, Progress, Usage, Values } from './spec/index.js';

/** What a running node may do besides returning outputs. The engine builds one per node execution. */
export interface NodeContext {
  readonly runId: string;
  readonly flowId: string;
  readonly nodeId: string;
  readonly spanId: string;
  /** Aborted on cancel or timeout: pass it to every call. */
  readonly signal: AbortSignal;
  readonly services: NodeServices;
  /** Values from the run request that are not flow inputs (e.g. `sessionId`). */
  readonly request: { sessionId?: string; [key: string]: unknown };
  /** Streams text to the trace as `node.delta` (batched by the engine; none lost). */
  delta(text: string): void;
  /** A `node.log` event on this node's span. */
  log(message: string, data?: unknown, progress?: Progress): void;
  /** Adds model usage and cost to this node's totals. */
  addUsage(usage: Usage, costUsd?: number, model?: string): void;
  /**
   * Runs `fn` as a child span (a tool call, a loop iteration, a subflow run): `node.started` then `node.completed`
   * or `node.failed`, with `parentSpanId` set to this node's span.
   */
  span<T extends Values>(name: string, inputs: Values, fn: (child: NodeContext) => Promise<T>): Promise<T>;
}

type ParamValue<P extends ParamSpec> = P extends { kind: 'number' }
  ? number
  : P extends { kind: 'boolean' }
    ? boolean
    : P extends { kind: 'select'; options: readonly (infer O)[] }
      ? O
      : P extends { kind: 'json' }
        ? unknown
        : string;

/** Typed params of a spec: literal names; present when required or defaulted. */
export type ParamsOf<S extends NodeSpec> = {
  [P in S['params'][number] as P['name']]: P extends { required: true } | { default: NonNullable<unknown> }
    ? ParamValue<P>
    : ParamValue<P> | undefined;
};

type PortValue<P extends PortSpec> = P extends { multiple: true }
  ? DataTypeMap[P['dataType']][]
  : DataTypeMap[P['dataType']];

/** Typed inputs of a spec; derived (dynamic) ports arrive as extra keys. */
export type InputsOf<S extends NodeSpec> = {
  [P in S['inputs'][number] as P['name']]: P extends { required: true } ? PortValue<P> : PortValue<P> | undefined;
} & Values;

export interface ExecuteArgs<S extends NodeSpec> {
  inputs: InputsOf<S>;
  params: ParamsOf<S>;
  /** Approval kinds (`awaitApproval`): what the person decided; the engine executes the node only once decided. */
  decision?: ApprovalDecision;
}

/** An approver's answer to an approval node: approved or not, and the value to pass on when it was edited. */
export interface ApprovalDecision {
  isApproved: boolean;
  /** The edited value; absent: the node's input as it was. */
  value?: unknown;
}

/** A node kind: its catalog entry and the function that runs it (server only). */
export interface NodeDefinition<S extends NodeSpec = NodeSpec> {
  spec: S;
  /** Returns output port → value. A branching node leaves untaken outputs undefined. */
  execute(args: ExecuteArgs<S>, ctx: NodeContext): Promise<Values>;
  /**
   * Tool kinds: answers a model's call of the tool this node publishes on its `tool` output.
   * `args` is the parsed arguments object; the result goes back to the model (strings as they are, else JSON).
   */
  invoke?(args: Record<string, unknown>, call: ExecuteArgs<S>, ctx: NodeContext): Promise<unknown>;
  /**
   * How nodes saved by an older version of the kind become current: `migrations[n]` turns version n-1 params into
   * version n params (rename a param, write the old default into nodes that relied on it). Versions without an entry
   * changed nothing in the params. Run on load by `migrateFlow`, server side only.
   */
  migrations?: Readonly<Record<number, ParamsMigration>>;
  /**
   * Approval kinds: a top-level run reaching the node pauses before `execute` (`node.paused`, reason `approval`) until
   * someone decides (docs/contracts.md §9); `execute` then gets the decision as `args.decision`. Answers how long the
   * node waits at most (ms), undefined for the runtime's default (FLOWLOOM_PAUSE_TIMEOUT_MS).
   */
  awaitApproval?(args: ExecuteArgs<S>): { timeoutMs?: number };
}

/** Turns a node's params as one version of its kind saved them into the next version's. Pure: returns new params. */
export type ParamsMigration = (params: Record<string, unknown>) => Record<string, unknown>;

/** Any node definition, with the spec's literal types erased. */
export type AnyNodeDefinition = NodeDefinition<NodeSpec>;

/**
 * Declares a node kind. The `const` type parameter keeps port and param names as literal types, so `execute`
 * sees `inputs.query: string` and `params.topK: number`.
 */
export function defineNode<const S extends NodeSpec>(definition: NodeDefinition<S>): AnyNodeDefinition {
  return definition as unknown as AnyNodeDefinition;
}
