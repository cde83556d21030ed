import { type EmbeddingService, type LlmService, NodeRegistry, type NodeServices } from '@flowloom/nodes';
import { type Logger, pino } from 'pino';
import {
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  DEFAULT_RUN_TIMEOUT_MS,
  type Role,
  type RuntimeConfig,
  VERSION,
} from './config.js';
import { DatasetService } from './datasets/dataset-service.js';
import { ExperimentService } from './experiments/experiment-service.js';
import { FineTuneService } from './finetune/jobs.js';
import { createMemoryService } from './memory/memory.js';
import { createHttpClient } from './net/http-client.js';
import { ModelProviders, ProviderServices, routedLlm } from './providers/model-providers.js';
import { createLlmService, createOpenAIEmbeddings } from './providers/openai.js';
import { ProviderSettings, settingsLlm } from './providers/provider-settings.js';
import { SecretBox } from './providers/secrets.js';
import { KeyService } from './publishing/keys.js';
import { type KeyRateLimiter, RateLimiter } from './publishing/rate-limiter.js';
import { PublishedService } from './publishing/versions.js';
import { describeRedisUrl, type RedisKeys } from './queue/keys.js';
import type { RunWorker } from './queue/run-worker.js';
import { Documents } from './rag/documents/index.js';
import { Embeddings } from './rag/embeddings.js';
import { ChromaVectors } from './rag/vectors.js';
import { FeedbackService } from './runs/feedback.js';
import { type RunQueueParts, RunService } from './runs/run-service.js';
import { createSandbox } from './sandbox/sandbox.js';
import { openStore, type Store } from './store/index.js';
import { startTraceExport } from './telemetry/otlp-export.js';

/** A component's state in `GET /api/health`. */
export interface ComponentHealth {
  status: 'ok' | 'disabled' | 'unavailable' | 'starting' | 'down' | 'idle';
  [key: string]: unknown;
}

/** `GET /api/health`: degraded when the store, the queue or the vector store does not answer. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  /** FLOWLOOM_ROLE of this process. */
  role: Role;
  storage: ComponentHealth;
  /** The run queue (Redis): `disabled` in the `all` role. */
  queue: ComponentHealth;
  vectorStore: ComponentHealth;
}

/** The queue parts of the `api` and `worker` roles. */
export interface QueueRuntime extends RunQueueParts {
  keys: RedisKeys;
  /** The worker executing queued runs (the worker role only). */
  worker?: RunWorker;
}

/**
 * The runtime without any transport: the store, the node kinds, the providers, the vector store, the sandbox and the
 * services built on them. The HTTP app, the CLI and (next) queue workers are shells over one of these.
 */
export interface Runtime {
  readonly config: RuntimeConfig;
  readonly role: Role;
  /** Redis, the run queue and event streams: set in the `api` and `worker` roles. */
  readonly queue?: QueueRuntime;
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
  /** Fine-tuning: exports of runs as training data, jobs at the provider. */
  readonly fineTunes: FineTuneService;
  readonly published: PublishedService;
  readonly keys: KeyService;
  /** Per-key limits of published endpoints: in memory, or in Redis in the api role (one budget for all processes). */
  readonly rateLimiter: KeyRateLimiter;
  readonly providerSettings: ProviderSettings;
  /** The model providers set in the editor (Settings), by id, and the model services built from them. */
  readonly providers: ModelProviders;
  readonly providerServices: ProviderServices;
  /** The model ids the default provider lists (the one used by nodes that name no provider). */
  defaultModels(signal: AbortSignal): Promise<string[]>;
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

/** How often a runtime looks for runs left behind by a process that is gone (see `Store.recoverInterrupted`). */
const RECOVERY_SWEEP_MS = 30_000;

/**
 * Builds the runtime in dependency order: store, node kinds, providers, vector store, sandbox, the node services, then
 * the services on top (runs, publishing). Opens no port itself (the managed Chroma starts on first use, not here). A
 * failure part way closes what was opened.
 */
export async function createRuntime(config: RuntimeConfig): Promise<Runtime> {
  const log = createLog(config.logger);
  /** What `close()` shuts, in the order it was opened (closed in reverse). */
  const opened: { name: string; close: () => unknown }[] = [];
  const role: Role = config.role ?? 'all';
  try {
    const registry = new NodeRegistry();
    const store = await openStore({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      postgres: config.postgres,
      registry,
      onError: (err) =>
        log.error({ err }, 'the store failed in the background (queued run rows and events are written again)'),
      // A dead worker's runs are resumed by another through the queue, never ended at start.
      recover: role === 'all',
    });
    opened.push({ name: 'store', close: () => store.close() });
    // Crash recovery ran as the store opened; again now and then, for the runs of a process that died since (another
    // runtime on the same database or data folder) or that still held its lock a moment ago. Only in the `all` role:
    // with a queue, a dead worker's runs are resumed by another worker (the queue's own sweeper), never ended here.
    if (role === 'all') {
      const sweep = setInterval(() => {
        store.recoverInterrupted().then(
          (ids) => {
            if (ids.length > 0)
              log.warn({ runIds: ids }, `${ids.length} run(s) of a process that is gone marked interrupted`);
          },
          (err) => log.error({ err }, 'crash recovery failed; it is tried again later'),
        );
      }, RECOVERY_SWEEP_MS);
      sweep.unref();
      opened.push({ name: 'crash recovery', close: () => clearInterval(sweep) });
    }

    let queueParts: QueueRuntime | undefined;
    const queueModules = role === 'all' ? undefined : await loadQueueModules();
    if (queueModules) {
      if (!config.queue) throw new Error(`REDIS_URL must be set when FLOWLOOM_ROLE is ${role}`);
      const { Channels, EventStreams, RedisConnections, RedisKeys, RunQueue } = queueModules;
      const connections = await RedisConnections.connect(config.queue.redisUrl);
      opened.push({ name: 'redis', close: () => connections.close() });
      const keys = new RedisKeys(config.queue.prefix);
      const queue = new RunQueue(connections, keys);
      opened.push({ name: 'run queue', close: () => queue.close() });
      const streams = new EventStreams(connections, keys);
      opened.push({ name: 'event streams', close: () => streams.close() });
      queueParts = { connections, keys, queue, streams, channels: new Channels(connections, keys) };
    }

    // Provider credentials from the editor, sealed at rest: model calls use them only when the env sets none.
    const isEnvProvider = Boolean(config.llm || config.openai.apiKey || config.openai.baseURL);
    const providerSettings = new ProviderSettings(
      store.settings,
      SecretBox.open(config.dataDir, config.secretKey),
      isEnvProvider,
    );
    const envLlm = config.llm ?? createLlmService(config.openai);
    const defaultLlm = isEnvProvider ? envLlm : settingsLlm(providerSettings, envLlm, config.openai.maxAnswerBytes);
    // Named providers (Settings): a node's `provider` param picks one; without one, the default above, else the first.
    const providers = new ModelProviders(store.settings, providerSettings.box);
    const providerServices = new ProviderServices(providers, config.openai.maxAnswerBytes);
    const providerLlm = routedLlm(providerServices, providers, defaultLlm, () =>
      isEnvProvider ? Promise.resolve(true) : providerSettings.isSet(),
    );
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
    const runs = new RunService({
      store,
      registry,
      services,
      log,
      maxNodeRuns: config.maxNodeRuns,
      pauseTimeoutMs: config.pauseTimeoutMs,
      queue: queueParts,
      isRemote: role === 'api',
    });
    // Paused runs survive a restart: their deadlines are watched again (runs pause only in the `all` role).
    if (role === 'all') {
      const paused = await runs.watchPaused();
      if (paused > 0) log.info({ paused }, `${paused} paused run(s) wait for a decision`);
    }
    const feedback = new FeedbackService(store, runs);
    const datasets = new DatasetService(store, runs);
    // Runs are exported where they execute: an api process only mirrors runs a worker executes (and exports), so it
    // exports none (else each would be exported twice).
    if (config.otlp && role !== 'api') {
      // Off by default; on, the OpenTelemetry SDK is loaded here, not before (docs/contracts.md §8).
      const traces = await startTraceExport(runs, config.otlp, log);
      opened.push({ name: 'OpenTelemetry export', close: () => traces.close() });
    }
    if (role === 'worker' && queueParts && queueModules && config.queue) {
      const settings = config.queue;
      const worker = new queueModules.RunWorker({
        ...queueParts,
        executor: runs,
        sweep: {
          unfinished: async () => [
            ...(await store.listRuns({ status: 'queued', limit: 1000 })),
            ...(await store.listRuns({ status: 'running', limit: 1000 })),
          ],
          hasEnded: async (runId) => {
            const run = await store.getRun(runId);
            return !run || (run.status !== 'queued' && run.status !== 'running');
          },
          interrupt: (runId) => runs.interrupt(runId),
        },
        concurrency: settings.concurrency,
        lockMs: settings.lockMs,
        graceMs: settings.graceMs,
        log: (message, err) => log.error({ err }, message),
      });
      queueParts.worker = worker;
      // Closed first (before the store): its runs finish or are handed back while everything still works.
      opened.push({ name: 'run worker', close: () => worker.close() });
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
    const fineTunes = new FineTuneService(store, async () =>
      config.openai.apiKey || config.openai.baseURL ? config.openai : await providerSettings.credentials(),
    );
    const perMinute = config.publish?.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
    const rateLimiter: KeyRateLimiter =
      queueParts && queueModules
        ? new queueModules.SharedRateLimiter(queueParts.connections, queueParts.keys, perMinute)
        : new RateLimiter(perMinute);
    if (queueParts) {
      // A key revoked through one process is dropped from every process's cache at once (and the store's change token
      // catches a missed message within its check interval).
      const parts = queueParts;
      keys.onRevoke((id) => void parts.connections.command.publish(parts.keys.channel('keys'), id).catch(() => {}));
      void parts.channels.on('keys', () => keys.invalidate()).catch(() => {});
    }

    let closing: Promise<void> | undefined;
    const close = async (): Promise<void> => {
      const failures: unknown[] = [];
      // Experiments first: they are let go (not ended), so the next start goes on with them.
      await experiments.close();
      try {
        await queueParts?.worker?.close();
      } catch (err) {
        failures.push(err);
      }
      await runs.cancelAll();
      try {
        await keys.flush();
      } catch (err) {
        failures.push(err);
      }
      failures.push(...(await closeAll(opened, log)));
      if (failures.length > 0) throw new AggregateError(failures, 'closing the runtime failed');
    };

    const queueRuntime = queueParts;
    return {
      config,
      role,
      ...(queueRuntime && { queue: queueRuntime }),
      log,
      registry,
      store,
      llm,
      services,
      runs,
      feedback,
      datasets,
      experiments,
      fineTunes,
      published,
      keys,
      rateLimiter,
      providerSettings,
      providers,
      providerServices,
      async defaultModels(signal) {
        if (isEnvProvider) {
          if (config.llm) return [];
          return createLlmService(config.openai).models({ signal });
        }
        const credentials = await providerSettings.credentials();
        if (credentials) return createLlmService(credentials).models({ signal });
        const first = await providers.firstId();
        return first ? (await providerServices.service(first)).models({ signal }) : [];
      },
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
        const queue: ComponentHealth = queueRuntime
          ? {
              status: (await queueRuntime.connections.ping()) ? 'ok' : 'unavailable',
              url: describeRedisUrl(queueRuntime.connections.url),
            }
          : { status: 'disabled' };
        const isOk =
          storage.status === 'ok' &&
          queue.status !== 'unavailable' &&
          vectorStore.status !== 'unavailable' &&
          vectorStore.status !== 'down';
        return { status: isOk ? 'ok' : 'degraded', version: VERSION, role, storage, queue, vectorStore };
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

/**
 * The queue's modules (BullMQ, ioredis and what uses them), loaded by the api and worker roles only: the embedded
 * default never holds them (about 6 MB of heap and 0.3 s of start).
 */
async function loadQueueModules() {
  const [streams, keys, redis, queue, worker, limiter] = await Promise.all([
    import('./queue/event-streams.js'),
    import('./queue/keys.js'),
    import('./queue/redis.js'),
    import('./queue/run-queue.js'),
    import('./queue/run-worker.js'),
    import('./queue/shared-rate-limiter.js'),
  ]);
  return { ...streams, ...keys, ...redis, ...queue, ...worker, ...limiter };
}
