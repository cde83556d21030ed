import { fileURLToPath } from 'node:url';
import type { EmbeddingService, LlmService } from '@flowloom/nodes';
import type { LoggerOptions } from 'pino';
import { DEFAULT_PAUSE_TIMEOUT_MS } from './engine/index.js';
import { type HttpClientConfig, httpClientConfigFromEnv } from './net/http-client.js';
import { DEFAULT_MAX_ANSWER_BYTES } from './providers/answer-guard.js';
import { DEFAULT_MAX_NODE_RUNS } from './runs/run-service.js';
import { DEFAULT_SANDBOX_WORKERS, type WorkerSandboxConfig } from './sandbox/sandbox.js';

/** What the kernel needs (`createRuntime`): the data folder, providers, the vector store and limits. */
export interface RuntimeConfig {
  /** The data folder (SQLite database, local Chroma data). */
  dataDir: string;
  /** `postgres://…` (DATABASE_URL): the store on Postgres; unset: SQLite in the data folder. */
  databaseUrl?: string;
  /** Postgres connection limits and schema (tests). */
  postgres?: { connectTimeoutMs?: number; queryTimeoutMs?: number; maxConnections?: number; schema?: string };
  /** The model provider; `maxAnswerBytes` bounds one answer (FLOWLOOM_MAX_ANSWER_BYTES). */
  openai: { apiKey?: string; baseURL?: string; maxAnswerBytes?: number };
  /** An external Chroma; unset means the runtime starts its own. */
  chromaUrl?: string;
  /** pino options of the runtime's log (the HTTP app logs through it too); false: no log. */
  logger: false | LoggerOptions;
  /** Replaces the OpenAI-backed model service (tests). */
  llm?: LlmService;
  /**
   * Wraps the model services once built, so every run and evaluator calls through the wrapper and the engine never
   * knows: `flowloom test` records and replays model calls this way (providers/recorded-models.ts).
   */
  wrapModels?: ModelWrappers;
  /**
   * Published endpoints: the run time limit (a version's default and its ceiling) and the default requests per
   * minute per API key.
   */
  publish?: { runTimeoutMs?: number; rateLimitPerMinute?: number };
  /** Key for provider credentials at rest (FLOWLOOM_SECRET_KEY); unset: a generated key file in the data folder. */
  secretKey?: string;
  /** Outgoing HTTP of http/tool-http nodes: the SSRF allowances (FLOWLOOM_HTTP_ALLOW_PRIVATE, FLOWLOOM_HTTP_ALLOW_HOSTS). */
  http?: HttpClientConfig;
  /** Limits and workers of the code sandbox (code, tool-code nodes; FLOWLOOM_SANDBOX_WORKERS). */
  sandbox?: WorkerSandboxConfig;
  /** Node executions of one root run, its child runs included (FLOWLOOM_MAX_NODE_RUNS). */
  maxNodeRuns?: number;
  /** How long a paused run waits at a breakpoint or an approval node (FLOWLOOM_PAUSE_TIMEOUT_MS). */
  pauseTimeoutMs?: number;
  /** OpenTelemetry export of every run (OTEL_EXPORTER_OTLP_ENDPOINT...); unset: off. */
  otlp?: OtlpConfig;
  /**
   * What this process does (FLOWLOOM_ROLE): `all` (default) accepts and executes runs itself; `api` accepts runs and
   * queues them, executing nothing; `worker` executes queued runs and serves no HTTP.
   */
  role?: Role;
  /** The run queue and event transport (Redis, BullMQ): required by the `api` and `worker` roles, unused by `all`. */
  queue?: QueueConfig;
}

/** Where and how runs are exported as OTLP traces (docs/contracts.md §8, the standard OTEL_* variables). */
export interface OtlpConfig {
  /** The traces URL (`…/v1/traces`). */
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  headers?: Record<string, string>;
  serviceName?: string;
  resourceAttributes?: Record<string, string>;
  /** How long one export may take, retries included (OTEL_EXPORTER_OTLP_TIMEOUT, default 10000 ms). */
  timeoutMs?: number;
  /** How long the batch processor waits before sending (default 1000 ms; tests shorten it). */
  scheduledDelayMs?: number;
}

/** FLOWLOOM_ROLE. */
export type Role = 'all' | 'api' | 'worker';

/** Redis and the workers' limits (REDIS_URL, FLOWLOOM_QUEUE_PREFIX, FLOWLOOM_WORKER_*, FLOWLOOM_QUEUE_LOCK_MS). */
export interface QueueConfig {
  /** `redis://[user:password@]host:6379[/db]` or `rediss://…`. */
  redisUrl: string;
  /** Every Redis key of this deployment starts with it and a colon (several deployments or tests share one Redis). */
  prefix: string;
  /** Runs one worker process executes at once. */
  concurrency: number;
  /** How long a worker's claim on a run lasts without renewal: a dead worker's runs move on after about this. */
  lockMs: number;
  /** On SIGTERM a worker lets its runs finish for this long, then hands the rest back to the queue. */
  graceMs: number;
}

/** Wrappers of the model services (chat models, and the embeddings of RAG and evaluators). */
export interface ModelWrappers {
  llm?: (llm: LlmService) => LlmService;
  embeddings?: (embeddings: EmbeddingService) => EmbeddingService;
}

/** What the HTTP shell needs (`buildApp`): where it listens, who may use the editor API, what it serves. */
export interface HttpConfig {
  host: string;
  port: number;
  /** When set, the editor API and socket.io handshakes need this token (docs/publishing.md, admin token). */
  adminToken?: string;
  /** The built editor served at `/` (SPA); when missing a minimal page is served. */
  editorDir: string;
  /** The `*.flow.json` templates listed at `GET /api/templates`. */
  templatesDir: string;
}

/** Everything the server needs to start. Built from the environment by `main.ts`/`cli.ts`, or by hand in tests. */
export interface Config extends RuntimeConfig, HttpConfig {}

const PACKAGE_ROOT = new URL('../', import.meta.url);

/** The runtime's version (from its package.json at build time of the process). */
export const VERSION = '0.1.0';

/** The run time limit of a published version when it sets none, and the most it may set (FLOWLOOM_RUN_TIMEOUT_MS). */
export const DEFAULT_RUN_TIMEOUT_MS = 120_000;
/** Requests per minute per API key when the key sets none (FLOWLOOM_KEY_RATE_LIMIT). */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;
/** Runs a worker executes at once (FLOWLOOM_WORKER_CONCURRENCY). */
export const DEFAULT_WORKER_CONCURRENCY = 16;

/** One environment variable the runtime reads. */
export interface EnvVariable {
  readonly name: string;
  /** The value used when the variable is unset or empty, as documented; absent: nothing. */
  readonly default?: string;
  /** What it does, in Markdown (one sentence or two): docs tables and `flowloom --help` print it. */
  readonly meaning: string;
}

/**
 * Every environment variable the runtime reads, in the order the docs list them: the one list `configFromEnv` reads
 * through (nothing else is visible to it), `flowloom --help` prints, and `npm run docs:generate` writes into README.md,
 * docs/api.md and docs/contracts.md (a test fails when they differ).
 */
export const ENVIRONMENT = [
  { name: 'PORT', default: '3000', meaning: 'HTTP port (`flowloom serve --port`).' },
  {
    name: 'HOST',
    default: '127.0.0.1',
    meaning:
      'Address to listen on (`--host`). A non-loopback address requires `FLOWLOOM_ADMIN_TOKEN`: without it the runtime refuses to start.',
  },
  {
    name: 'FLOWLOOM_DATA',
    default: '.flowloom',
    meaning: 'Data folder (`--data`): the SQLite database, uploads, the local Chroma data, the secret key file.',
  },
  {
    name: 'DATABASE_URL',
    meaning:
      '`postgres://user:password@host:5432/database`: the store on Postgres instead of SQLite in the data folder (the runtime creates its tables). Anything but a `postgres://` URL, or a Postgres that cannot be reached, stops the start; a Postgres lost later gives 503 `STORE_UNAVAILABLE`.',
  },
  {
    name: 'FLOWLOOM_ROLE',
    default: 'all',
    meaning:
      'What the process does: `all` accepts and executes runs itself (SQLite or Postgres, no Redis); `api` serves the editor, the API, socket.io and published endpoints and queues runs, executing none; `worker` executes queued runs and serves no HTTP (`flowloom worker` is the same). `api` and `worker` need `DATABASE_URL` and `REDIS_URL` (docs/deploy.md).',
  },
  {
    name: 'REDIS_URL',
    meaning:
      '`redis://[user:password@]host:6379[/db]` (or `rediss://`): the run queue (BullMQ), live events between processes, shared rate limits and key revocation. Required by the `api` and `worker` roles; a Redis that cannot be reached stops their start; one lost later gives 503 `QUEUE_UNAVAILABLE` to new runs.',
  },
  {
    name: 'FLOWLOOM_QUEUE_PREFIX',
    default: 'flowloom',
    meaning: 'Prefix of every Redis key (letters, digits, `_`, `-`, `.`), so several deployments can share one Redis.',
  },
  {
    name: 'FLOWLOOM_WORKER_CONCURRENCY',
    default: String(DEFAULT_WORKER_CONCURRENCY),
    meaning: 'Runs one worker process executes at once; a whole number from 1 to 1000.',
  },
  {
    name: 'FLOWLOOM_QUEUE_LOCK_MS',
    default: '30000',
    meaning:
      "How long a worker's claim on a run lasts without being renewed (renewed every half of it): the runs of a worker that died move to another after about this long. 1000 to 600000.",
  },
  {
    name: 'FLOWLOOM_WORKER_GRACE_MS',
    default: '10000',
    meaning:
      'On SIGTERM a worker takes no new runs and lets its runs finish for this long, then hands the rest back to the queue (another worker resumes them from their unfinished nodes). 0 to 3600000.',
  },
  { name: 'OPENAI_API_KEY', meaning: "Key for OpenAI's models." },
  {
    name: 'OPENAI_BASE_URL',
    meaning: 'Any OpenAI-compatible server instead of OpenAI (a local model server works the same way; no key needed).',
  },
  {
    name: 'CHROMA_URL',
    meaning:
      'An external Chroma server. When unset the runtime starts its own on first use, from the npm package, listening on 127.0.0.1 on a free port picked at start (`GET /api/health` shows it as `vectorStore.url`), data under the data folder.',
  },
  {
    name: 'FLOWLOOM_ADMIN_TOKEN',
    meaning:
      'When set, the editor API and socket.io need it (`Authorization: Bearer …`, socket `auth.token`); published endpoints use API keys instead.',
  },
  {
    name: 'FLOWLOOM_KEY_RATE_LIMIT',
    default: String(DEFAULT_RATE_LIMIT_PER_MINUTE),
    meaning:
      'Requests per minute per API key on published endpoints, for keys that set no `rateLimit` (429 `RATE_LIMITED` with `retry-after` beyond); a whole number from 1.',
  },
  {
    name: 'FLOWLOOM_RUN_TIMEOUT_MS',
    default: String(DEFAULT_RUN_TIMEOUT_MS),
    meaning:
      'The longest a published run may take: the limit of a version that sets none, and the ceiling of those that do (publishing a higher `settings.timeoutMs` is a 400). The run then ends `cancelled` with `RUN_TIMEOUT`. 100 to 3600000.',
  },
  {
    name: 'FLOWLOOM_MAX_NODE_RUNS',
    default: String(DEFAULT_MAX_NODE_RUNS),
    meaning:
      'The most node executions (tool calls included) one run may make, the runs it starts through `subflow`, `map` and `tool-flow` nodes included, at every depth: past it nodes fail with `RUN_NODE_LIMIT` and no further child run starts. 1 to 1000000000.',
  },
  {
    name: 'FLOWLOOM_PAUSE_TIMEOUT_MS',
    default: String(DEFAULT_PAUSE_TIMEOUT_MS),
    meaning:
      'The longest a run waits paused at a breakpoint or an `approval` node (whose `timeoutMs` param may set its own) before it ends `cancelled` with `PAUSE_TIMEOUT`; a paused run keeps waiting across restarts. 10 to 2592000000 (30 days).',
  },
  {
    name: 'FLOWLOOM_SANDBOX_WORKERS',
    default: String(DEFAULT_SANDBOX_WORKERS),
    meaning:
      'Worker threads running `code` and `tool-code` scripts at once. Scripts are queued fairly between runs, and one run holds at most all workers but one. 1 to 64.',
  },
  {
    name: 'FLOWLOOM_MAX_ANSWER_BYTES',
    default: String(DEFAULT_MAX_ANSWER_BYTES),
    meaning:
      'The largest answer taken from the model provider, streamed or not: past it the node fails with `PROVIDER_ERROR` and the rest is not read (embedding answers may take up to 64 MiB when this is lower). 1024 to 1073741824.',
  },
  {
    name: 'FLOWLOOM_SECRET_KEY',
    meaning:
      'Key that encrypts provider credentials set in the editor (AES-256-GCM). When unset, a random key is kept in `<data>/secret.key` (mode 0600).',
  },
  {
    name: 'FLOWLOOM_HTTP_ALLOW_PRIVATE',
    meaning:
      '`1` or `true` lets `http` and `tool-http` nodes reach private, loopback and link-local addresses (refused by default: SSRF guard).',
  },
  {
    name: 'FLOWLOOM_HTTP_ALLOW_HOSTS',
    meaning:
      'Comma-separated host names (`api.internal`, `*.corp.example`), addresses or CIDR ranges that `http` and `tool-http` nodes may reach even when private.',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    meaning:
      'Base URL of an OTLP/HTTP collector (`http://127.0.0.1:4318`): when set, every run is exported as an OpenTelemetry trace to `<url>/v1/traces` (a span per node, tool call and subflow run; GenAI attributes on model calls). Unset: no export, and the OpenTelemetry SDK is not even loaded. A collector that is down never affects runs (export errors are logged at most once a minute).',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    meaning:
      'The full traces URL, instead of `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`; setting it alone turns the export on.',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    default: 'http/protobuf',
    meaning: 'OTLP encoding: `http/protobuf` or `http/json` (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` wins when set).',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    meaning: 'Like `OTEL_EXPORTER_OTLP_PROTOCOL`, for traces only.',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_HEADERS',
    meaning:
      'Headers sent with every export, `key=value` pairs separated by commas, values URL-encoded (`authorization=Basic%20…`).',
  },
  {
    name: 'OTEL_EXPORTER_OTLP_TIMEOUT',
    default: '10000',
    meaning:
      'How long one export may take, retries included, in ms (`OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` wins when set).',
  },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', meaning: 'Like `OTEL_EXPORTER_OTLP_TIMEOUT`, for traces only.' },
  {
    name: 'OTEL_SERVICE_NAME',
    default: 'flowloom',
    meaning: 'The `service.name` of the exported traces.',
  },
  {
    name: 'OTEL_RESOURCE_ATTRIBUTES',
    meaning:
      'More resource attributes of the exported traces, `key=value` pairs separated by commas (`deployment.environment=prod`).',
  },
  {
    name: 'OTEL_SDK_DISABLED',
    meaning: '`true` turns the export off even when an endpoint is set.',
  },
  {
    name: 'LOG_LEVEL',
    default: 'info',
    meaning:
      'Log level (pino) of the runtime and its HTTP server: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.',
  },
  { name: 'NODE_ENV', meaning: '`test` turns the log off entirely (the test suites set it).' },
] as const satisfies readonly EnvVariable[];

/** The name of a variable in `ENVIRONMENT`. */
export type EnvName = (typeof ENVIRONMENT)[number]['name'];

/** The listed variables of an environment, empty or blank values as unset: all `configFromEnv` sees. */
function listedVariables(env: Record<string, string | undefined>): Partial<Record<EnvName, string>> {
  const vars: Partial<Record<EnvName, string>> = {};
  for (const { name } of ENVIRONMENT) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') vars[name] = value;
  }
  return vars;
}

/** A variable's documented default. */
function defaultOf(name: EnvName): string | undefined {
  return (ENVIRONMENT as readonly EnvVariable[]).find((variable) => variable.name === name)?.default;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a number from 0 to 65535, got "${value}"`);
  return port;
}

/** An optional whole number from `min` to `max`; anything else stops the start with the variable's name. */
function parseWhole(name: EnvName, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return number;
}

/**
 * A service URL setting (DATABASE_URL, REDIS_URL): one of `protocols` with a host, or unset. Anything else stops the
 * start with one line that names the variable (and never echoes a password).
 */
function parseServiceUrl(
  name: 'DATABASE_URL' | 'REDIS_URL',
  url: string | undefined,
  protocols: readonly string[],
  example: string,
): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !protocols.includes(parsed.protocol) || !parsed.hostname) {
    const shown = parsed ? `${parsed.protocol}//${parsed.host}${parsed.pathname}` : 'a value that is not a URL';
    throw new Error(`${name} must be a ${protocols[0]}// URL (${example}), got ${shown}`);
  }
  return url;
}

/** `key=value,key2=value2` with URL-encoded values (the OTEL_* list format); a malformed pair stops the start. */
function parseKeyValues(name: EnvName, value: string | undefined): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const item of (value ?? '').split(',')) {
    if (item.trim() === '') continue;
    const at = item.indexOf('=');
    if (at <= 0) throw new Error(`${name} must be key=value pairs separated by commas, got "${item.trim()}"`);
    pairs[item.slice(0, at).trim()] = decodeURIComponent(item.slice(at + 1).trim());
  }
  return pairs;
}

/** The OTLP trace export from the standard OTEL_* variables; undefined (off) without an endpoint or when disabled. */
function otlpConfigFromEnv(vars: Partial<Record<EnvName, string>>): OtlpConfig | undefined {
  if (vars.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const base = vars.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base && `${base.replace(/\/+$/, '')}/v1/traces`);
  if (!url) return undefined;
  try {
    new URL(url);
  } catch {
    throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT must be a URL (http://host:4318), got "${url}"`);
  }
  const protocol =
    vars.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
    vars.OTEL_EXPORTER_OTLP_PROTOCOL ??
    (defaultOf('OTEL_EXPORTER_OTLP_PROTOCOL') as string);
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json, got "${protocol}"`);
  }
  return {
    url,
    protocol,
    headers: parseKeyValues('OTEL_EXPORTER_OTLP_HEADERS', vars.OTEL_EXPORTER_OTLP_HEADERS),
    serviceName: vars.OTEL_SERVICE_NAME ?? (defaultOf('OTEL_SERVICE_NAME') as string),
    timeoutMs:
      parseWhole('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', vars.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, 1, 600_000) ??
      parseWhole('OTEL_EXPORTER_OTLP_TIMEOUT', vars.OTEL_EXPORTER_OTLP_TIMEOUT, 1, 600_000),
    resourceAttributes: parseKeyValues('OTEL_RESOURCE_ATTRIBUTES', vars.OTEL_RESOURCE_ATTRIBUTES),
  };
}

/** DATABASE_URL: a `postgres://` (or `postgresql://`) URL, or unset. */
function parseDatabaseUrl(url: string | undefined): string | undefined {
  return parseServiceUrl(
    'DATABASE_URL',
    url,
    ['postgres:', 'postgresql:'],
    'postgres://user:password@host:5432/database',
  );
}

/** REDIS_URL: a `redis://` or `rediss://` URL, or unset. */
function parseRedisUrl(url: string | undefined): string | undefined {
  return parseServiceUrl('REDIS_URL', url, ['redis:', 'rediss:'], 'redis://host:6379');
}

const ROLES: readonly Role[] = ['all', 'api', 'worker'];

/**
 * FLOWLOOM_ROLE and the queue's settings. `api` and `worker` need Postgres (DATABASE_URL) and Redis (REDIS_URL): a
 * missing one stops the start with one line naming it.
 */
function roleAndQueue(
  vars: Partial<Record<EnvName, string>>,
  databaseUrl: string | undefined,
): { role: Role; queue?: QueueConfig } {
  const role = (vars.FLOWLOOM_ROLE ?? 'all') as Role;
  if (!ROLES.includes(role)) throw new Error(`FLOWLOOM_ROLE must be all, api or worker, got "${vars.FLOWLOOM_ROLE}"`);
  const redisUrl = parseRedisUrl(vars.REDIS_URL);
  const prefix = vars.FLOWLOOM_QUEUE_PREFIX ?? 'flowloom';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix))
    throw new Error(`FLOWLOOM_QUEUE_PREFIX must be 1 to 64 letters, digits, "_", "-" or ".", got "${prefix}"`);
  const concurrency =
    parseWhole('FLOWLOOM_WORKER_CONCURRENCY', vars.FLOWLOOM_WORKER_CONCURRENCY, 1, 1000) ?? DEFAULT_WORKER_CONCURRENCY;
  const lockMs = parseWhole('FLOWLOOM_QUEUE_LOCK_MS', vars.FLOWLOOM_QUEUE_LOCK_MS, 1000, 600_000) ?? 30_000;
  const graceMs = parseWhole('FLOWLOOM_WORKER_GRACE_MS', vars.FLOWLOOM_WORKER_GRACE_MS, 0, 3_600_000) ?? 10_000;
  if (role === 'all') return { role };
  if (databaseUrl === undefined)
    throw new Error(`DATABASE_URL must be set (postgres://…) when FLOWLOOM_ROLE is ${role}: every process shares it`);
  if (redisUrl === undefined)
    throw new Error(`REDIS_URL must be set (redis://host:6379) when FLOWLOOM_ROLE is ${role}: it carries the runs`);
  return { role, queue: { redisUrl, prefix, concurrency, lockMs, graceMs } };
}

/**
 * The configuration from an environment object (never from process.env directly): the variables of `ENVIRONMENT`
 * (docs/contracts.md §6), nothing else. `overrides` win (flags of the CLI, tests).
 */
export function configFromEnv(env: Record<string, string | undefined>, overrides: Partial<Config> = {}): Config {
  const vars = listedVariables(env);
  const valueOrDefault = (name: 'PORT' | 'HOST' | 'FLOWLOOM_DATA' | 'LOG_LEVEL') =>
    vars[name] ?? (defaultOf(name) as string);
  const databaseUrl = parseDatabaseUrl(vars.DATABASE_URL);
  return {
    dataDir: valueOrDefault('FLOWLOOM_DATA'),
    databaseUrl,
    ...roleAndQueue(vars, databaseUrl),
    host: valueOrDefault('HOST'),
    port: parsePort(valueOrDefault('PORT')),
    openai: {
      apiKey: vars.OPENAI_API_KEY,
      baseURL: vars.OPENAI_BASE_URL,
      maxAnswerBytes: parseWhole('FLOWLOOM_MAX_ANSWER_BYTES', vars.FLOWLOOM_MAX_ANSWER_BYTES, 1024, 1024 ** 3),
    },
    chromaUrl: vars.CHROMA_URL,
    adminToken: vars.FLOWLOOM_ADMIN_TOKEN,
    editorDir: fileURLToPath(new URL('../editor/dist/', PACKAGE_ROOT)),
    templatesDir: fileURLToPath(new URL('../flows/', PACKAGE_ROOT)),
    logger: vars.NODE_ENV === 'test' ? false : { level: valueOrDefault('LOG_LEVEL') },
    publish: {
      // Within the bounds a published version's own `timeoutMs` has.
      runTimeoutMs: parseWhole('FLOWLOOM_RUN_TIMEOUT_MS', vars.FLOWLOOM_RUN_TIMEOUT_MS, 100, 3_600_000),
      rateLimitPerMinute: parseWhole('FLOWLOOM_KEY_RATE_LIMIT', vars.FLOWLOOM_KEY_RATE_LIMIT, 1, 1_000_000_000),
    },
    maxNodeRuns: parseWhole('FLOWLOOM_MAX_NODE_RUNS', vars.FLOWLOOM_MAX_NODE_RUNS, 1, 1_000_000_000),
    pauseTimeoutMs: parseWhole('FLOWLOOM_PAUSE_TIMEOUT_MS', vars.FLOWLOOM_PAUSE_TIMEOUT_MS, 10, 2_592_000_000),
    sandbox: { workers: parseWhole('FLOWLOOM_SANDBOX_WORKERS', vars.FLOWLOOM_SANDBOX_WORKERS, 1, 64) },
    secretKey: vars.FLOWLOOM_SECRET_KEY,
    http: httpClientConfigFromEnv(vars),
    otlp: otlpConfigFromEnv(vars),
    ...overrides,
  };
}

/** A config for tests and embedding: no env, quiet logger. */
export function testConfig(overrides: Partial<Config> & { dataDir: string }): Config {
  return configFromEnv({}, { logger: false, ...overrides });
}
