import type { NodeRegistry } from '@flowloom/nodes';
import { SqliteStore } from './store.js';
import type { Store } from './types.js';

export { SqliteStore } from './store.js';
export type * from './types.js';

/** What `openStore` needs: where the data goes, and what the store tells. */
export interface OpenStoreOptions {
  /** The data folder: SQLite's file goes here. */
  dataDir: string;
  /** The node kinds flows are migrated to when read and written. */
  registry?: NodeRegistry;
  /** Told when a background commit of run rows and events fails (they stay queued for the next). */
  onError?: (err: unknown) => void;
}

/** Opens the store: SQLite in the data folder, migrated to the current schema, interrupted runs recovered. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  return SqliteStore.open(options.dataDir, { registry: options.registry, onError: options.onError });
}
