import { performance } from 'node:perf_hooks';
import {
  addUsage,
  findValueProblem,
  type NodeContext,
  type NodeServices,
  type Progress,
  type Usage,
  type Values,
} from '@flowloom/nodes';
import type { RunTrace } from './run-trace.js';

const DELTA_INTERVAL_MS = 50;

/** Where a context's model usage goes: the node's totals, or a child span's (which passes it on up). */
export interface UsageSink {
  usage?: Usage;
  costUsd: number;
  parent?: UsageSink;
}

/** What a context needs from its run. */
export interface ContextHost {
  readonly runId: string;
  readonly flowId: string;
  readonly trace: RunTrace;
  readonly services: NodeServices;
  readonly request: NodeContext['request'];
  readonly isFinished: boolean;
  childSpan<T extends Values>(
    parent: RunContext,
    nodeId: string,
    name: string,
    inputs: Values,
    fn: (child: NodeContext) => Promise<T>,
  ): Promise<T>;
}

/**
 * The NodeContext of one node execution or child span. A class, so the per-node cost is one object with shared
 * methods instead of a set of fresh closures; the methods are bound-safe because kinds call them as `ctx.x()`.
 */
export class RunContext implements NodeContext {
  readonly runId: string;
  readonly flowId: string;
  readonly services: NodeServices;
  readonly request: NodeContext['request'];
  /** The model the node reported with its usage, for `node.completed`. */
  model?: string;
  /** True once this execution has streamed any text (`delta`). */
  hasStreamed = false;
  #buffer = '';
  #lastFlush = 0;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  readonly #span: { nodeId: string; spanId: string; parentSpanId: string | null };

  constructor(
    readonly host: ContextHost,
    readonly nodeId: string,
    readonly spanId: string,
    parentSpanId: string | null,
    readonly signal: AbortSignal,
    readonly sink: UsageSink,
  ) {
    this.runId = host.runId;
    this.flowId = host.flowId;
    this.services = host.services;
    this.request = host.request;
    this.#span = { nodeId, spanId, parentSpanId };
  }

  /** Emits buffered text now. Called before the node's end event, so no delta is lost or late. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer === '') return;
    const text = this.#buffer;
    this.#buffer = '';
    this.#lastFlush = performance.now();
    this.host.trace.emit('node.delta', { text }, this.#span);
  }

  // Leading and trailing throttle: the first chunk goes out at once, then at most one event per interval.
  delta(text: string): void {
    if (this.host.isFinished || text === '') return;
    this.hasStreamed = true;
    this.#buffer += text;
    if (this.#timer) return;
    const wait = DELTA_INTERVAL_MS - (performance.now() - this.#lastFlush);
    if (wait <= 0) this.flush();
    else this.#timer = setTimeout(() => this.flush(), wait);
  }

  log(message: string, data?: unknown, progress?: Progress): void {
    // Log data too deep to store is replaced by a note: a log line must not fail the run.
    const deep = data === undefined ? undefined : findValueProblem(data, { prefix: 'data' });
    if (deep) data = { omitted: `${deep.path} ${deep.message}` };
    this.host.trace.emit(
      'node.log',
      { message, ...(data !== undefined && { data }), ...(progress && { progress }) },
      this.#span,
    );
  }

  addUsage(usage: Usage, costUsd = 0, model?: string): void {
    if (model) this.model = model;
    for (let sink: UsageSink | undefined = this.sink; sink; sink = sink.parent) {
      sink.usage = addUsage(sink.usage, usage);
      sink.costUsd += costUsd;
    }
  }

  span<T extends Values>(name: string, inputs: Values, fn: (child: NodeContext) => Promise<T>): Promise<T> {
    return this.host.childSpan(this, this.nodeId, name, inputs, fn);
  }
}
