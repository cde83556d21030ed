import { AppError } from '@flowloom/nodes';
import pg from 'pg';

/** How the Postgres store connects. */
export interface PgConnectOptions {
  /** `postgres://user:password@host:port/database` (DATABASE_URL). */
  url: string;
  /** Tables in this schema (created when missing) instead of the connection's default: tests, shared databases. */
  schema?: string;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
  /** How long getting a connection may take before the store counts as unavailable (default 5000 ms). */
  connectTimeoutMs?: number;
  /** How long a query may go unanswered before the store counts as unavailable (default 15000 ms). */
  queryTimeoutMs?: number;
  /** Told of errors the pool meets in the background (an idle connection dropped by the server). */
  onError?: (err: unknown) => void;
}

/** A statement that only reads: safe to send again. */
const READ = /^\s*SELECT\b(?![\s\S]*\bFOR\s+(UPDATE|SHARE)\b)/i;
/** A connection that fails this soon was dead already (cut while idle), not waiting for a database that is slow. */
const DEAD_AT_ONCE_MS = 1000;

/** How often a store that lost its database tries it again, so it answers again once the database is back. */
const PROBE_INTERVAL_MS = 1000;

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * True for errors that say the database cannot be reached or stopped answering (as opposed to an error of the
 * statement): socket errors, pg's own connection and timeout errors, and the SQLSTATEs of a server that goes away
 * or refuses connections.
 */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (CONNECTION_ERRNOS.has(code)) return true;
    // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now; 53300: too many
    // connections.
    if (code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300') return true;
  }
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection closed/i.test(
    err.message,
  );
}

/** STORE_UNAVAILABLE (503) for a database that cannot be reached: the caller may try again later. */
export function storeUnavailable(cause: unknown): AppError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new AppError('STORE_UNAVAILABLE', `the database is unavailable (${reason})`, {
    status: 503,
    retryable: true,
    cause,
  });
}

/** A schema name as given (lower case letters, digits, underscores), so it can be written into SQL unquoted. */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`not a plain schema name: "${schema}"`);
  return schema;
}

/** `host:port/database` of a connection URL, never its credentials (logs, health, error messages). */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname || '/'}`;
  } catch {
    return 'postgres';
  }
}

// int8 (counts, identity ids, sequence values) as numbers: they stay far below 2^53 here. timestamptz as the ISO
// strings the rest of the runtime uses (and SQLite stores), so both stores answer the same values.
const parseTimestamp = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ);
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8) return Number;
    if (oid === pg.types.builtins.TIMESTAMPTZ) return (text: string) => (parseTimestamp(text) as Date).toISOString();
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * A pg Pool with the store's conventions: typed rows, errors that mean "the database is unreachable" turned into
 * STORE_UNAVAILABLE, and a flag (`assertAvailable`) set by such an error and cleared by the next query that works,
 * with a probe every second meanwhile. The pool reconnects on its own: a connection that failed is dropped, the next
 * query opens a new one.
 */
export class PgDatabase {
  readonly pool: pg.Pool;
  readonly location: string;
  #down: unknown;
  #probe: NodeJS.Timeout | undefined;
  #isEnded = false;
  readonly #onError: (err: unknown) => void;

  constructor(options: PgConnectOptions) {
    this.location = describeUrl(options.url);
    this.#onError = options.onError ?? (() => {});
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      query_timeout: options.queryTimeoutMs ?? 15_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'flowloom',
      types: TYPES,
      ...(options.schema !== undefined && { options: `-c search_path=${checkSchemaName(options.schema)}` }),
    });
    // Without a listener, an idle connection the server drops would be an uncaught error (the process down).
    this.pool.on('error', (err) => {
      this.#markDown(err);
      this.#onError(err);
    });
    // The pool listens on idle connections only: one in use (between the statements of a transaction) that the
    // network cuts would be an uncaught error too. Its next statement fails instead, and the caller releases it broken.
    this.pool.on('connect', (client) => client.on('error', () => {}));
  }

  /** Throws STORE_UNAVAILABLE while the last contact with the database failed to connect. */
  assertAvailable(): void {
    if (this.#down !== undefined) throw storeUnavailable(this.#down);
  }

  /**
   * Runs one statement; `name` makes it a prepared statement (parsed once per connection). A read (SELECT), or a
   * write the caller says is `idempotent`, is tried once more on a fresh connection when its connection turns out
   * dead at once (one the network cut while it sat idle in the pool); a database that does not answer is not asked
   * twice.
   */
  async query<R extends object>(
    text: string,
    values?: unknown[],
    options: { name?: string; idempotent?: boolean } = {},
  ): Promise<R[]> {
    const config = options.name === undefined ? { text, values } : { name: options.name, text, values };
    const isRetryable = options.idempotent === true || READ.test(text);
    const startedAt = Date.now();
    try {
      const result = await this.pool.query<R>(config);
      this.#markUp();
      return result.rows;
    } catch (err) {
      if (!isRetryable || !isConnectionError(err) || Date.now() - startedAt > DEAD_AT_ONCE_MS) throw this.#failure(err);
    }
    try {
      const result = await this.pool.query<R>(config);
      this.#markUp();
      return result.rows;
    } catch (err) {
      throw this.#failure(err);
    }
  }

  /**
   * Runs `fn` in a transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. A connection
   * that failed is dropped from the pool, not reused. One whose BEGIN fails to reach the database (nothing was done
   * yet) is replaced by a fresh one, once.
   */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#begin();
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      this.#markUp();
      return result;
    } catch (err) {
      if (isConnectionError(err)) client.release(err as Error);
      else {
        try {
          await client.query('ROLLBACK');
          client.release();
        } catch (rollbackError) {
          client.release(rollbackError as Error);
        }
      }
      throw this.#failure(err);
    }
  }

  /** A connection with a transaction begun on it. */
  async #begin(): Promise<pg.PoolClient> {
    for (let tries = 1; ; tries++) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        await client.query('BEGIN');
        return client;
      } catch (err) {
        client?.release(err as Error);
        if (tries >= 2 || !client || !isConnectionError(err)) throw this.#failure(err);
      }
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** True once `end` was called: nothing can be written any more. */
  get isEnded(): boolean {
    return this.#isEnded;
  }

  async end(): Promise<void> {
    this.#isEnded = true;
    clearTimeout(this.#probe);
    await this.pool.end();
  }

  /** The error to throw: STORE_UNAVAILABLE for an unreachable database (and the flag set), else the error itself. */
  #failure(err: unknown): unknown {
    if (!isConnectionError(err)) return err;
    this.#markDown(err);
    return storeUnavailable(err);
  }

  #markDown(err: unknown): void {
    if (this.#isEnded) return;
    this.#down = err;
    this.#probe ??= setTimeout(this.#runProbe, PROBE_INTERVAL_MS).unref();
  }

  /** Tries the database (one probe at a time) until it answers, so the flag clears without any request asking. */
  readonly #runProbe = async (): Promise<void> => {
    await this.ping();
    this.#probe = undefined;
    if (this.#down !== undefined && !this.#isEnded) this.#probe = setTimeout(this.#runProbe, PROBE_INTERVAL_MS).unref();
  };

  #markUp(): void {
    this.#down = undefined;
  }
}
