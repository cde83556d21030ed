import type { TraceData, TraceEvent, TraceType } from '@flowloom/nodes';

/** Where an event sits in the span tree. */
export interface SpanRef {
  nodeId?: string;
  spanId?: string;
  parentSpanId?: string | null;
}

type Listener = (event: TraceEvent) => void;

// Formatting a date costs microseconds; events within the same millisecond share one string.
let lastMs = 0;
let lastIso = '';
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

/**
 * The event log of one run. `seq` is the index in `events`, so it is gap-free by construction; subscribers get
 * every past event in order, then live ones, with nothing lost or repeated at the boundary (emit is synchronous).
 */
export class RunTrace {
  readonly events: TraceEvent[] = [];
  readonly #listeners = new Set<Listener>();
  #closed = false;
  /** Called once, at the next `subscribe` (`whenWatched`). */
  #onWatched: (() => void) | undefined;

  constructor(
    readonly runId: string,
    readonly flowId: string,
  ) {}

  /** A trace holding a run's events so far (from the store or a stream), in order, as `append` takes them. */
  static of(runId: string, flowId: string, events: readonly TraceEvent[]): RunTrace {
    const trace = new RunTrace(runId, flowId);
    for (const event of events) trace.append(event);
    return trace;
  }

  /** True once the run's end event (completed, failed or cancelled) was emitted; later emits are dropped. */
  get closed(): boolean {
    return this.#closed;
  }

  emit<T extends TraceType>(type: T, data: TraceData[T], span?: SpanRef): TraceEvent | undefined {
    if (this.#closed) return undefined;
    const at = isoNow();
    const seq = this.events.length;
    // Two literal shapes (run events carry no span fields) keep objects monomorphic and cheap to build.
    const event = (
      span
        ? {
            runId: this.runId,
            seq,
            at,
            type,
            flowId: this.flowId,
            nodeId: span.nodeId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? null,
            data,
          }
        : { runId: this.runId, seq, at, type, flowId: this.flowId, data }
    ) as TraceEvent;
    if (type === 'run.completed' || type === 'run.failed' || type === 'run.cancelled') this.#closed = true;
    this.events.push(event);
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A faulty subscriber must not break the run or other subscribers.
      }
    }
    return event;
  }

  /**
   * Adds an event emitted elsewhere (another attempt, another process) with the seq it has: the next one in order is
   * taken, one already here is ignored. Answers whether it was taken. Listeners get it like an emitted one.
   */
  append(event: TraceEvent): boolean {
    if (this.#closed || event.seq !== this.events.length) return false;
    if (event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled')
      this.#closed = true;
    this.events.push(event);
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A faulty subscriber must not break the run or other subscribers.
      }
    }
    return true;
  }

  /**
   * Calls `fill` once, at the next `subscribe`, before that subscriber gets anything: a trace mirrored from elsewhere
   * starts reading its events only once someone watches it.
   */
  whenWatched(fill: () => void): void {
    this.#onWatched = fill;
  }

  /** Replays past events in order, then delivers live ones. Returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    const onWatched = this.#onWatched;
    if (onWatched) {
      this.#onWatched = undefined;
      onWatched();
    }
    for (const event of this.events) listener(event);
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
