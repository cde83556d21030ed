import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type IdGenerator,
  type ReadableSpan,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_WORKFLOW_NAME,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW,
  GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
} from '@opentelemetry/semantic-conventions/incubating';
import type { OtlpConfig } from '../config.js';
import { type CompactEvent, type CompactRun, otelSpanId } from './compact-run.js';

/** How long closing waits for the last export (a collector that is down must not hold a shutdown). */
const CLOSE_TIMEOUT_MS = 2_000;

/** Span and trace ids decided by the builder (derived from run and span ids), handed to the SDK one span at a time. */
class PlannedIds implements IdGenerator {
  traceId = '';
  spanId = '';
  generateTraceId(): string {
    return this.traceId;
  }
  generateSpanId(): string {
    return this.spanId;
  }
}

/** Wraps the OTLP exporter: failures go to `onError` (the runtime's throttled log), never to the runs. */
class ReportingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly onError: (message: string, spans: number) => void,
  ) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.inner.export(spans, (result) => {
      if (result.code !== 0) {
        const err = result.error;
        this.onError(err ? err.message || err.name : 'export failed', spans.length);
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function time(at: string, plusMs?: number): number {
  const ms = Date.parse(at);
  return plusMs === undefined ? ms : ms + plusMs;
}

function usageAttributes(usage: CompactEvent['usage']): Attributes {
  if (!usage) return {};
  return {
    [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: Math.round(usage.promptTokens ?? 0),
    [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: Math.round(usage.completionTokens ?? 0),
  };
}

function fail(span: Span, error: { code: string; message: string }): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.setAttribute(ATTR_ERROR_TYPE, error.code);
}

/**
 * Turns finished runs into OpenTelemetry traces (docs/contracts.md §8): the run is the root span
 * (`invoke_workflow <flowId>`), each node execution a child span, tool calls, map items and subflow calls children of
 * the node that made them, and a nested run's root span a child of the span that called it, in the same trace. Model
 * calls carry the GenAI semantic conventions. Ids are derived from run and span ids (`compact-run.ts`), so a nested
 * run, which ends before its caller, already knows its parent span. Runs in the same process as this class's user:
 * the export worker (`span-worker.ts`), off the runtime's main thread.
 */
export class RunSpanBuilder {
  readonly #provider: TracerProvider;
  readonly #tracer;
  readonly #ids = new PlannedIds();

  constructor(config: OtlpConfig, version: string, onError: (message: string, spans: number) => void) {
    const options = { url: config.url, headers: config.headers ?? {}, timeoutMillis: config.timeoutMs ?? 10_000 };
    const exporter = config.protocol === 'http/json' ? new JsonExporter(options) : new ProtoExporter(options);
    this.#provider = new TracerProvider({
      idGenerator: this.#ids,
      resource: resourceFromAttributes({
        ...config.resourceAttributes,
        [ATTR_SERVICE_NAME]: config.serviceName ?? 'flowloom',
        [ATTR_SERVICE_VERSION]: version,
      }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new ReportingExporter(exporter, onError),
          scheduledDelayMillis: config.scheduledDelayMs ?? 1_000,
          maxQueueSize: 16_384,
          maxExportBatchSize: 2_048,
        }),
      ],
    });
    this.#tracer = this.#provider.getTracer('flowloom', version);
  }

  #start(name: string, spanId: string, startTime: number, attributes: Attributes, parent: Context, kind?: SpanKind) {
    this.#ids.spanId = spanId;
    return this.#tracer.startSpan(name, { startTime, attributes, ...(kind !== undefined && { kind }) }, parent);
  }

  /** Builds and queues the spans of one finished run. */
  add(run: CompactRun): void {
    this.#ids.traceId = run.traceId;
    const parent = run.parent
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId: run.traceId,
          spanId: run.parent,
          traceFlags: TraceFlags.SAMPLED,
          isRemote: false,
        })
      : ROOT_CONTEXT;
    const started = run.events[0];
    const end = run.events.at(-1);
    if (!started || !end || started.type !== 'run.started') return;
    const root = this.#start(
      `${GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW} ${run.flowId}`,
      otelSpanId(run.runId, ''),
      time(started.at),
      {
        [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW,
        [ATTR_GEN_AI_WORKFLOW_NAME]: run.flowId,
        'flowloom.run.id': run.runId,
        'flowloom.flow.id': run.flowId,
        ...(run.flowVersion !== null && { 'flowloom.flow.version': run.flowVersion }),
        ...(run.parentRunId && { 'flowloom.run.parent_id': run.parentRunId }),
      },
      parent,
      run.parent ? SpanKind.INTERNAL : SpanKind.SERVER,
    );
    const rootContext = trace.setSpan(ROOT_CONTEXT, root);
    const open = new Map<string, { span: Span; start: number }>();
    const types = new Map(run.nodes);
    for (const event of run.events) {
      const spanId = event.spanId;
      if (spanId === undefined) continue;
      const type = types.get(event.nodeId ?? '') ?? 'node';
      switch (event.type) {
        case 'node.started': {
          const caller = event.parentSpanId ? open.get(event.parentSpanId)?.span : undefined;
          const name = event.name ?? `${type} ${event.nodeId}`;
          const attributes: Attributes = { 'flowloom.node.id': event.nodeId ?? '', 'flowloom.node.type': type };
          if (name.startsWith('tool ')) {
            attributes[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL;
            attributes[ATTR_GEN_AI_TOOL_NAME] = name.slice('tool '.length);
          }
          const context = caller ? trace.setSpan(ROOT_CONTEXT, caller) : rootContext;
          const start = time(event.at);
          open.set(spanId, {
            span: this.#start(name, otelSpanId(run.runId, spanId), start, attributes, context),
            start,
          });
          break;
        }
        case 'node.completed': {
          const entry = open.get(spanId);
          if (!entry) break;
          const { span } = entry;
          if (event.model) {
            // A model call: named and described as the GenAI conventions say (`chat <model>`).
            span.updateName(`${GEN_AI_OPERATION_NAME_VALUE_CHAT} ${event.model}`);
            span.setAttributes({
              [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT,
              [ATTR_GEN_AI_REQUEST_MODEL]: event.model,
              [ATTR_GEN_AI_RESPONSE_MODEL]: event.model,
              [ATTR_GEN_AI_PROVIDER_NAME]: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
              [ATTR_GEN_AI_SYSTEM]: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
            });
          }
          span.setAttributes(usageAttributes(event.usage));
          if (event.costUsd !== undefined) span.setAttribute('flowloom.cost_usd', event.costUsd);
          if (event.reused) span.setAttribute('flowloom.node.reused', true);
          span.end(event.durationMs === undefined ? time(event.at) : entry.start + event.durationMs);
          open.delete(spanId);
          break;
        }
        case 'node.failed': {
          const entry = open.get(spanId);
          if (!entry || !event.error) break;
          fail(entry.span, event.error);
          entry.span.end(event.durationMs === undefined ? time(event.at) : entry.start + event.durationMs);
          open.delete(spanId);
          break;
        }
        case 'node.skipped': {
          const attributes = { 'flowloom.node.id': event.nodeId ?? '', 'flowloom.node.skipped': event.reason ?? '' };
          const at = time(event.at);
          this.#start(`${type} ${event.nodeId}`, otelSpanId(run.runId, spanId), at, attributes, rootContext).end(at);
          break;
        }
        case 'node.paused': {
          // Where the run waited (a breakpoint or an approval): a zero-length span, like a skipped node's.
          const attributes = { 'flowloom.node.id': event.nodeId ?? '', 'flowloom.node.paused': event.reason ?? '' };
          const at = time(event.at);
          this.#start(`${type} ${event.nodeId}`, otelSpanId(run.runId, spanId), at, attributes, rootContext).end(at);
          break;
        }
        case 'node.log':
          open
            .get(spanId)
            ?.span.addEvent(event.message ?? '', event.level ? { level: event.level } : {}, time(event.at));
          break;
      }
    }
    const endAt = end.durationMs === undefined ? time(end.at) : time(started.at, end.durationMs);
    // Spans a cancelled run left open (its in-flight calls) end with it.
    for (const { span } of open.values()) span.end(endAt);
    root.setAttribute('flowloom.run.status', end.type.slice('run.'.length));
    if (end.type === 'run.completed') {
      root.setAttributes(usageAttributes(end.usage));
      if (end.costUsd !== undefined) root.setAttribute('flowloom.cost_usd', end.costUsd);
    } else if (end.type === 'run.failed' && end.error) fail(root, end.error);
    else root.setStatus({ code: SpanStatusCode.ERROR, message: 'cancelled' });
    root.end(endAt);
  }

  /** Sends what is queued (waiting at most CLOSE_TIMEOUT_MS) and stops. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.#provider.shutdown().catch(() => {}), late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
