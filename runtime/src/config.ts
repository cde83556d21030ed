import { fileURLToPath } from 'node:url';
import type { LlmService } from '@flowloom/nodes';
import type { LoggerOptions } from 'pino';
import { type HttpClientConfig, httpClientConfigFromEnv } from './net/http-client.js';
import type { SandboxConfig } from './sandbox/sandbox.js';

/** What the kernel needs (`createRuntime`): the data folder, providers, the vector store and limits. */
export interface RuntimeConfig {
  /** The data folder (SQLite database, local Chroma data). */
  dataDir: string;
  /** `postgres://…` (DATABASE_URL): the store on Postgres; unset: SQLite in the data folder. */
  databaseUrl?: string;
  /** Postgres connection limits and schema (tests). */
  postgres?: { connectTimeoutMs?: number; queryTimeoutMs?: number; maxConnections?: number; schema?: string };
  openai: { apiKey?: string; baseURL?: string };
  /** An external Chroma; unset means the runtime starts its own. */
  chromaUrl?: string;
  /** pino options of the runtime's log (the HTTP app logs through it too); false: no log. */
  logger: false | LoggerOptions;
  /** Replaces the OpenAI-backed model service (tests). */
  llm?: LlmService;
  /** Published endpoints (issue #5): default run time limit and per-key rate limit. */
  publish?: { runTimeoutMs?: number; rateLimitPerMinute?: number };
  /** Key for provider credentials at rest (FLOWLOOM_SECRET_KEY); unset: a generated key file in the data folder. */
  secretKey?: string;
  /** Outgoing HTTP of http/tool-http nodes: the SSRF allowances (FLOWLOOM_HTTP_ALLOW_PRIVATE, FLOWLOOM_HTTP_ALLOW_HOSTS). */
  http?: HttpClientConfig;
  /** Limits of the code sandbox (code, tool-code nodes). */
  sandbox?: SandboxConfig;
}

/** What the HTTP shell needs (`buildApp`): where it listens, who may use the editor API, what it serves. */
export interface HttpConfig {
  host: string;
  port: number;
  /** When set, the editor API and socket.io handshakes need this token (issue #5). */
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

function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a number from 0 to 65535, got "${value}"`);
  return port;
}

/** An optional whole number from `min` to `max`; anything else stops the start with the variable's name. */
function parseWhole(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (optional(value) === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return number;
}

/**
 * DATABASE_URL: a `postgres://` (or `postgresql://`) URL, or unset. Anything else stops the start with one line that
 * names the variable (and never echoes a password).
 */
function parseDatabaseUrl(value: string | undefined): string | undefined {
  const url = optional(value);
  if (url === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') || !parsed.hostname) {
    const shown = parsed ? `${parsed.protocol}//${parsed.host}${parsed.pathname}` : 'a value that is not a URL';
    throw new Error(
      `DATABASE_URL must be a postgres:// URL (postgres://user:password@host:5432/database), got ${shown}`,
    );
  }
  return url;
}

function optional(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Reads CONTRACTS §6 variables from an environment object (never from process.env directly). */
export function configFromEnv(env: Record<string, string | undefined>, overrides: Partial<Config> = {}): Config {
  return {
    dataDir: optional(env.FLOWLOOM_DATA) ?? '.flowloom',
    databaseUrl: parseDatabaseUrl(env.DATABASE_URL),
    host: optional(env.HOST) ?? '127.0.0.1',
    port: parsePort(env.PORT, 3000),
    openai: { apiKey: optional(env.OPENAI_API_KEY), baseURL: optional(env.OPENAI_BASE_URL) },
    chromaUrl: optional(env.CHROMA_URL),
    adminToken: optional(env.FLOWLOOM_ADMIN_TOKEN),
    editorDir: fileURLToPath(new URL('../editor/dist/', PACKAGE_ROOT)),
    templatesDir: fileURLToPath(new URL('../flows/', PACKAGE_ROOT)),
    logger: env.NODE_ENV === 'test' ? false : { level: optional(env.LOG_LEVEL) ?? 'info' },
    publish: {
      // The bounds a published version's own `timeoutMs` has.
      runTimeoutMs: parseWhole('FLOWLOOM_RUN_TIMEOUT_MS', env.FLOWLOOM_RUN_TIMEOUT_MS, 100, 3_600_000),
      rateLimitPerMinute: parseWhole('FLOWLOOM_KEY_RATE_LIMIT', env.FLOWLOOM_KEY_RATE_LIMIT, 1, 1_000_000_000),
    },
    secretKey: optional(env.FLOWLOOM_SECRET_KEY),
    http: httpClientConfigFromEnv(env),
    ...overrides,
  };
}

/** A config for tests and embedding: no env, quiet logger. */
export function testConfig(overrides: Partial<Config> & { dataDir: string }): Config {
  return configFromEnv({}, { logger: false, ...overrides });
}
