import type { NodeRegistry } from '@flowloom/nodes';
import { SqliteStore } from './store.js';
import type { Store } from './types.js';

export { SqliteStore } from './store.js';
export type * from './types.js';

/** What `openStore` needs: where the data goes, and what the store tells. */
export interface OpenStoreOptions {
  /** The data folder: SQLite's file goes here when there is no `databaseUrl`. */
  dataDir: string;
  /** `postgres://…` (DATABASE_URL): the store on Postgres. */
  databaseUrl?: string;
  /** Postgres connection limits (tests shorten them). */
  postgres?: { connectTimeoutMs?: number; queryTimeoutMs?: number; maxConnections?: number; schema?: string };
  /** The node kinds flows are migrated to when read and written. */
  registry?: NodeRegistry;
  /** Told when a background commit of run rows and events fails (they stay queued for the next). */
  onError?: (err: unknown) => void;
  /**
   * Whether opening marks the runs a dead process of this machine left running as interrupted (default true). Queue
   * roles turn it off: a dead worker's runs are resumed by another, not ended.
   */
  recover?: boolean;
}

/**
 * Opens the store the configuration asks for: Postgres when `databaseUrl` is set, else SQLite in the data folder.
 * Both are migrated to the current schema and have recovered the runs that a dead process of this machine left
 * running. A Postgres that cannot be reached stops the start with an error naming DATABASE_URL.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.databaseUrl === undefined) {
    return SqliteStore.open(options.dataDir, { registry: options.registry, onError: options.onError });
  }
  // The Postgres store and its driver are loaded only when asked for: the embedded default never holds them.
  const [{ PostgresStore }, { describeUrl }] = await Promise.all([
    import('./postgres/store.js'),
    import('./postgres/db.js'),
  ]);
  try {
    return await PostgresStore.open({
      url: options.databaseUrl,
      ...options.postgres,
      registry: options.registry,
      onError: options.onError,
      recover: options.recover,
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`DATABASE_URL: cannot open the Postgres store at ${describeUrl(options.databaseUrl)}: ${reason}`, {
      cause: err,
    });
  }
}
