import type { ErrorBody, TraceEvent, Usage } from '@flowloom/nodes';
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
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
import { type OtlpConfig, VERSION } from '../config.js';
import type { RunHandle } from '../engine/index.js';
import type { RunStartInfo } from '../runs/run-service.js';
import type { ThrottledErrorLog } from './otlp-export.js';

/** How long closing waits for the last export (a collector that is down must not hold a shutdown). */
const CLOSE_TIMEOUT_MS = 2_000;

/** The spans of one run that are open, by the run's span id (`s_…`); the run's own span under `run`. */
interface OpenRun {
  root: Span;
  rootContext: Context;
  spans: Map<string, Span>;
  /** Node id → node type, for span names and `flowloom.node.type`. */
  types: Map<string, string>;
}

/** Wraps the OTLP exporter: failures go to the throttled log, never to the runs. */
class LoggedExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly errors: ThrottledErrorLog,
  ) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.inner.export(spans, (result) => {
      if (result.code !== 0) this.errors.report(result.error ?? new Error('export failed'), spans.length);
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

function usageAttributes(usage: Usage | undefined): Attributes {
  if (!usage) return {};
  return {
    [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: Math.round(usage.promptTokens ?? 0),
    [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: Math.round(usage.completionTokens ?? 0),
  };
}

function fail(span: Span, error: ErrorBody): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  span.setAttribute(ATTR_ERROR_TYPE, error.code);
}

/**
 * Turns runs into OpenTelemetry traces (docs/contracts.md §4: a run maps one-to-one onto a trace): the run is the
 * root span (`invoke_workflow <flowId>`), each node execution a child span, tool calls, map items and subflow runs
 * child spans of the node that made them (a subflow run's own spans hang under its calling span, in the caller's
 * trace). Model calls carry the GenAI semantic conventions: `gen_ai.operation.name` `chat`, `gen_ai.request.model`,
 * `gen_ai.provider.name` (and the older `gen_ai.system`), `gen_ai.usage.input_tokens` and `…output_tokens`. Spans go
 * through a batch processor to the OTLP/HTTP exporter (JSON or protobuf).
 */
export class RunSpanExporter {
  readonly #provider: TracerProvider;
  readonly #tracer;
  readonly #runs = new Map<string, OpenRun>();

  constructor(config: OtlpConfig, errors: ThrottledErrorLog) {
    const options = { url: config.url, headers: config.headers ?? {}, timeoutMillis: config.timeoutMs ?? 10_000 };
    const exporter = config.protocol === 'http/json' ? new JsonExporter(options) : new ProtoExporter(options);
    this.#provider = new TracerProvider({
      resource: resourceFromAttributes({
        ...config.resourceAttributes,
        [ATTR_SERVICE_NAME]: config.serviceName ?? 'flowloom',
        [ATTR_SERVICE_VERSION]: VERSION,
      }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new LoggedExporter(exporter, errors),
          scheduledDelayMillis: config.scheduledDelayMs ?? 1_000,
          maxQueueSize: 8_192,
          maxExportBatchSize: 1_024,
        }),
      ],
    });
    this.#tracer = this.#provider.getTracer('flowloom', VERSION);
  }

  /** Follows one run from its first event to its last. */
  watch(handle: RunHandle, info: RunStartInfo): void {
    const unsubscribe = handle.trace.subscribe((event) => {
      if (this.#onEvent(event, info)) unsubscribe();
    });
  }

  /** Handles one event; true once the run has ended. */
  #onEvent(event: TraceEvent, info: RunStartInfo): boolean {
    switch (event.type) {
      case 'run.started':
        this.#startRun(event, info);
        return false;
      case 'run.completed':
      case 'run.failed':
      case 'run.cancelled':
        this.#endRun(event);
        return true;
    }
    const run = this.#runs.get(event.runId);
    if (!run || !event.spanId) return false;
    switch (event.type) {
      case 'node.started': {
        const parent = event.parentSpanId ? run.spans.get(event.parentSpanId) : undefined;
        const context = parent ? trace.setSpan(ROOT_CONTEXT, parent) : run.rootContext;
        const type = run.types.get(event.nodeId ?? '') ?? 'node';
        const name = event.data.name ?? `${type} ${event.nodeId}`;
        const attributes: Attributes = {
          'flowloom.node.id': event.nodeId ?? '',
          'flowloom.node.type': type,
          'flowloom.span.id': event.spanId,
        };
        if (name.startsWith('tool ')) {
          attributes[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL;
          attributes[ATTR_GEN_AI_TOOL_NAME] = name.slice('tool '.length);
        }
        run.spans.set(event.spanId, this.#tracer.startSpan(name, { attributes }, context));
        return false;
      }
      case 'node.completed': {
        const span = run.spans.get(event.spanId);
        if (!span) return false;
        const { model, usage, costUsd } = event.data;
        if (model) {
          // A model call: named and described as the GenAI conventions say (`chat <model>`).
          span.updateName(`${GEN_AI_OPERATION_NAME_VALUE_CHAT} ${model}`);
          span.setAttributes({
            [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT,
            [ATTR_GEN_AI_REQUEST_MODEL]: model,
            [ATTR_GEN_AI_RESPONSE_MODEL]: model,
            [ATTR_GEN_AI_PROVIDER_NAME]: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
            [ATTR_GEN_AI_SYSTEM]: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
          });
          span.setAttributes({ 'flowloom.node.kind': 'llm' });
        }
        span.setAttributes(usageAttributes(usage));
        if (costUsd !== undefined) span.setAttribute('flowloom.cost_usd', costUsd);
        if (event.data.reused) span.setAttribute('flowloom.node.reused', true);
        span.end();
        run.spans.delete(event.spanId);
        return false;
      }
      case 'node.failed': {
        const span = run.spans.get(event.spanId);
        if (!span) return false;
        fail(span, event.data.error);
        span.end();
        run.spans.delete(event.spanId);
        return false;
      }
      case 'node.skipped': {
        const type = run.types.get(event.nodeId ?? '') ?? 'node';
        const attributes = { 'flowloom.node.id': event.nodeId ?? '', 'flowloom.node.skipped': event.data.reason };
        this.#tracer.startSpan(`${type} ${event.nodeId}`, { attributes }, run.rootContext).end();
        return false;
      }
      case 'node.log':
        run.spans.get(event.spanId)?.addEvent(event.data.message, event.data.level ? { level: event.data.level } : {});
        return false;
      default:
        return false;
    }
  }

  #startRun(event: Extract<TraceEvent, { type: 'run.started' }>, info: RunStartInfo): void {
    // A nested run (subflow, map item, tool-flow) continues its caller's trace, under the span that called it.
    const caller = info.parentRunId ? this.#runs.get(info.parentRunId) : undefined;
    const callerSpan = caller && info.parentSpanId ? caller.spans.get(info.parentSpanId) : undefined;
    const parent = callerSpan ? trace.setSpan(ROOT_CONTEXT, callerSpan) : (caller?.rootContext ?? ROOT_CONTEXT);
    const root = this.#tracer.startSpan(
      `${GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW} ${event.flowId}`,
      {
        kind: info.parentRunId ? SpanKind.INTERNAL : SpanKind.SERVER,
        attributes: {
          [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_INVOKE_WORKFLOW,
          [ATTR_GEN_AI_WORKFLOW_NAME]: event.flowId,
          'flowloom.run.id': event.runId,
          'flowloom.flow.id': event.flowId,
          ...(info.flowVersion !== null && { 'flowloom.flow.version': info.flowVersion }),
          ...(info.parentRunId && { 'flowloom.run.parent_id': info.parentRunId }),
        },
      },
      parent,
    );
    const types = new Map<string, string>();
    for (const node of info.flow.nodes) types.set(node.id, node.type);
    this.#runs.set(event.runId, { root, rootContext: trace.setSpan(ROOT_CONTEXT, root), spans: new Map(), types });
  }

  #endRun(event: Extract<TraceEvent, { type: 'run.completed' | 'run.failed' | 'run.cancelled' }>): void {
    const run = this.#runs.get(event.runId);
    if (!run) return;
    this.#runs.delete(event.runId);
    // Spans a cancelled run left open (its in-flight calls) end with it.
    for (const span of run.spans.values()) span.end();
    const { root } = run;
    root.setAttribute('flowloom.run.status', event.type.slice('run.'.length));
    if (event.type === 'run.completed') {
      root.setAttributes(usageAttributes(event.data.usage));
      if (event.data.costUsd !== undefined) root.setAttribute('flowloom.cost_usd', event.data.costUsd);
    } else if (event.type === 'run.failed') fail(root, event.data.error);
    else root.setStatus({ code: SpanStatusCode.ERROR, message: 'cancelled' });
    root.end();
  }

  /** Ends the spans of runs still open, sends what is queued (waiting at most CLOSE_TIMEOUT_MS) and stops. */
  async close(): Promise<void> {
    for (const run of this.#runs.values()) {
      for (const span of run.spans.values()) span.end();
      run.root.end();
    }
    this.#runs.clear();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      timer.unref();
    });
    try {
      await Promise.race([this.#provider.shutdown().catch(() => {}), late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
