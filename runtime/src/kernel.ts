import { type EmbeddingService, type LlmService, NodeRegistry, type NodeServices } from '@flowloom/nodes';
import { type Logger, pino } from 'pino';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, DEFAULT_RUN_TIMEOUT_MS, type RuntimeConfig, VERSION } from './config.js';
import { DatasetService } from './datasets/dataset-service.js';
import { ExperimentService } from './experiments/experiment-service.js';
import { createMemoryService } from './memory/memory.js';
import { createHttpClient } from './net/http-client.js';
import { createLlmService, createOpenAIEmbeddings } from './providers/openai.js';
import { ProviderSettings, settingsLlm } from './providers/provider-settings.js';
import { SecretBox } from './providers/secrets.js';
import { KeyService } from './publishing/keys.js';
import { RateLimiter } from './publishing/rate-limiter.js';
import { PublishedService } from './publishing/versions.js';
import { Documents } from './rag/documents/index.js';
import { Embeddings } from './rag/embeddings.js';
import { ChromaVectors } from './rag/vectors.js';
import { FeedbackService } from './runs/feedback.js';
import { RunService } from './runs/run-service.js';
import { createSandbox } from './sandbox/sandbox.js';
import { openStore, type Store } from './store/index.js';
import { startTraceExport } from './telemetry/otlp-export.js';

/** A component's state in `GET /api/health`. */
export interface ComponentHealth {
  status: 'ok' | 'disabled' | 'unavailable' | 'starting' | 'down' | 'idle';
  [key: string]: unknown;
}

/** `GET /api/health`: degraded when the store or the vector store does not answer. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  storage: ComponentHealth;
  vectorStore: ComponentHealth;
}

/**
 * The runtime without any transport: the store, the node kinds, the providers, the vector store, the sandbox and the
 * services built on them. The HTTP app, the CLI and (next) queue workers are shells over one of these.
 */
export interface Runtime {
  readonly config: RuntimeConfig;
  /** The runtime's log; the HTTP app logs through it too. */
  readonly log: Logger;
  /** Node kinds (the catalog). */
  readonly registry: NodeRegistry;
  readonly store: Store;
  /** The model service runs use: the environment's provider, else the one set in the editor's settings. */
  readonly llm: LlmService;
  /** The services every run gets (`flows` is added per run): complete when `createRuntime` returns, never changed. */
  readonly services: Readonly<NodeServices>;
  readonly runs: RunService;
  /** Feedback on runs (the editor's, and published callers' on their own runs). */
  readonly feedback: FeedbackService;
  /** Datasets and their items. */
  readonly datasets: DatasetService;
  /** Experiments: datasets × flow versions × evaluators, each cell a run. */
  readonly experiments: ExperimentService;
  readonly published: PublishedService;
  readonly keys: KeyService;
  readonly rateLimiter: RateLimiter;
  readonly providerSettings: ProviderSettings;
  /** Chroma: the managed server (started on first use when CHROMA_URL is unset) or an external one. */
  readonly vectors: ChromaVectors;
  /** Text embeddings: the local embedder, or the configured provider's models (`openai:<model>`). */
  readonly embeddings: EmbeddingService;
  /** Uploaded files, loaders and splitters. */
  readonly documents: Documents;
  health(): Promise<HealthReport>;
  /**
   * Lets running experiments go (their pending cells wait for the next start), cancels live runs and waits for their
   * final rows, writes pending key last-used times, then closes the sandbox, Chroma and the store, in that order.
   * Closes everything even when a step fails, then throws the failures.
   */
  close(): Promise<void>;
}

function createLog(options: RuntimeConfig['logger']): Logger {
  return options === false ? pino({ enabled: false }) : pino(options);
}

/**
 * Builds the runtime in dependency order: store, node kinds, providers, vector store, sandbox, the node services, then
 * the services on top (runs, publishing). Opens no port itself (the managed Chroma starts on first use, not here). A
 * failure part way closes what was opened.
 */
export async function createRuntime(config: RuntimeConfig): Promise<Runtime> {
  const log = createLog(config.logger);
  /** What `close()` shuts, in the order it was opened (closed in reverse). */
  const opened: { name: string; close: () => unknown }[] = [];
  try {
    const registry = new NodeRegistry();
    const store = await openStore({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      postgres: config.postgres,
      registry,
      onError: (err) =>
        log.error({ err }, 'the store failed in the background (queued run rows and events are written again)'),
    });
    opened.push({ name: 'store', close: () => store.close() });

    // Provider credentials from the editor, sealed at rest: model calls use them only when the env sets none.
    const isEnvProvider = Boolean(config.llm || config.openai.apiKey || config.openai.baseURL);
    const providerSettings = new ProviderSettings(
      store.settings,
      SecretBox.open(config.dataDir, config.secretKey),
      isEnvProvider,
    );
    const envLlm = config.llm ?? createLlmService(config.openai);
    const providerLlm = isEnvProvider ? envLlm : settingsLlm(providerSettings, envLlm, config.openai.maxAnswerBytes);
    const llm = config.wrapModels?.llm?.(providerLlm) ?? providerLlm;

    const hasOpenAI = Boolean(config.openai.apiKey || config.openai.baseURL);
    const providerEmbeddings = new Embeddings(hasOpenAI ? { openai: createOpenAIEmbeddings(config.openai) } : {});
    const embeddings = config.wrapModels?.embeddings?.(providerEmbeddings) ?? providerEmbeddings;
    const vectors = new ChromaVectors({
      url: config.chromaUrl,
      dataDir: config.dataDir,
      embeddings,
      log: (level, message) => log[level === 'info' ? 'debug' : level](message),
    });
    opened.push({ name: 'vector store', close: () => vectors.close() });
    const documents = new Documents(config.dataDir);
    const sandbox = createSandbox(config.sandbox);
    opened.push({ name: 'sandbox', close: () => sandbox.close() });

    const services: Readonly<NodeServices> = Object.freeze({
      llm,
      embeddings,
      vectors,
      documents,
      sandbox,
      http: createHttpClient(config.http),
      memory: createMemoryService(store.memory),
    });
    const runs = new RunService({ store, registry, services, log, maxNodeRuns: config.maxNodeRuns });
    const feedback = new FeedbackService(store, runs);
    const datasets = new DatasetService(store, runs);
    if (config.otlp) {
      // Off by default; on, the OpenTelemetry SDK is loaded here, not before (docs/contracts.md §8).
      const traces = await startTraceExport(runs, config.otlp, log);
      opened.push({ name: 'OpenTelemetry export', close: () => traces.close() });
    }
    const published = new PublishedService(store, registry, {
      timeoutMs: config.publish?.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
    });
    const experiments = new ExperimentService({
      store,
      runs,
      published,
      datasets,
      registry,
      embeddings,
      onError: (err, message) => log.error({ err }, message),
    });
    const keys = new KeyService(store.keys, {
      onFlushError: (err) => log.error({ err }, 'writing API key last-used times failed; they stay pending'),
    });
    const rateLimiter = new RateLimiter(config.publish?.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE);

    let closing: Promise<void> | undefined;
    const close = async (): Promise<void> => {
      const failures: unknown[] = [];
      // Experiments first: they are let go (not ended), so the next start goes on with them.
      await experiments.close();
      await runs.cancelAll();
      try {
        await keys.flush();
      } catch (err) {
        failures.push(err);
      }
      failures.push(...(await closeAll(opened, log)));
      if (failures.length > 0) throw new AggregateError(failures, 'closing the runtime failed');
    };

    return {
      config,
      log,
      registry,
      store,
      llm,
      services,
      runs,
      feedback,
      datasets,
      experiments,
      published,
      keys,
      rateLimiter,
      providerSettings,
      vectors,
      embeddings,
      documents,
      async health() {
        const storage: ComponentHealth = { status: (await isStoreUp(store)) ? 'ok' : 'unavailable', kind: store.kind };
        let vectorStore: ComponentHealth;
        try {
          vectorStore = await vectors.health();
        } catch {
          vectorStore = { status: 'unavailable' };
        }
        const isOk = storage.status === 'ok' && vectorStore.status !== 'unavailable' && vectorStore.status !== 'down';
        return { status: isOk ? 'ok' : 'degraded', version: VERSION, storage, vectorStore };
      },
      close() {
        closing ??= close();
        return closing;
      },
    };
  } catch (err) {
    await closeAll(opened, log);
    throw err;
  }
}

/** How long health waits for the store's answer: a database that stops answering must not stall health checks. */
const HEALTH_TIMEOUT_MS = 2000;

/** False at once when the store knows its database is unreachable, else whether it answers in time. */
async function isStoreUp(store: Store): Promise<boolean> {
  try {
    store.assertAvailable();
  } catch {
    return false;
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), HEALTH_TIMEOUT_MS);
  });
  try {
    return await Promise.race([store.ping(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes in reverse order of opening, every one even when another fails; answers the failures (also logged). */
async function closeAll(opened: { name: string; close: () => unknown }[], log: Logger): Promise<unknown[]> {
  const failures: unknown[] = [];
  for (const { name, close } of [...opened].reverse()) {
    try {
      await close();
    } catch (err) {
      log.error({ err }, `closing the ${name} failed`);
      failures.push(err);
    }
  }
  return failures;
}
