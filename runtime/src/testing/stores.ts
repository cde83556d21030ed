import type { NodeRegistry } from '@flowloom/nodes';
import { PostgresStore } from '../store/postgres/store.js';
import { SqliteStore } from '../store/store.js';
import type { Store, StoreKind } from '../store/types.js';
import { removeTempDir, tempDir } from './fixtures.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

// One factory per store backend, so a test suite runs unchanged against both (`describe.each(STORE_BACKENDS)`).

/** What a test may set when it opens a store. */
export interface TestStoreOptions {
  registry?: NodeRegistry;
  onError?: (err: unknown) => void;
  flushDelayMs?: number;
  recover?: boolean;
}

/** One place for a store's data (a data folder, a schema): opened any number of times, the same data each time. */
export interface StorePlace {
  open(options?: TestStoreOptions): Promise<Store>;
  /**
   * Runs SQL on the place's tables from outside the store (as another process would); `sqlite` and `postgres` are the
   * statement in each dialect. Answers the rows.
   */
  sql(statements: { sqlite: string; postgres: string }, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

export interface StoreBackend {
  kind: StoreKind;
  /** A fresh, empty place. */
  place(): Promise<StorePlace>;
  /** Removes every place made (and closes what the tests left open). */
  cleanup(): Promise<void>;
}

function sqliteBackend(): StoreBackend {
  const dirs: string[] = [];
  const opened: Store[] = [];
  return {
    kind: 'sqlite',
    async place() {
      const dir = tempDir('store');
      dirs.push(dir);
      return {
        async open(options = {}) {
          const store = SqliteStore.open(dir, options);
          opened.push(store);
          return store;
        },
        async sql({ sqlite }, params = []) {
          const store = SqliteStore.open(dir, { writer: 'inline', recover: false });
          try {
            const statement = store.db.prepare(sqlite);
            if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
            statement.run(...params);
            return [];
          } finally {
            await store.close();
          }
        },
      };
    },
    async cleanup() {
      for (const store of opened) await store.close();
      for (const dir of dirs) removeTempDir(dir);
    },
  };
}

function postgresBackend(): StoreBackend {
  let database: Promise<TestDatabase> | undefined;
  const opened: Store[] = [];
  return {
    kind: 'postgres',
    async place() {
      database ??= createTestDatabase();
      const db = await database;
      const schema = db.schema();
      return {
        async open(options = {}) {
          const store = await PostgresStore.open({ url: db.url, schema, ...options });
          opened.push(store);
          return store;
        },
        async sql({ postgres }, params = []) {
          const store = await PostgresStore.open({ url: db.url, schema, recover: false });
          try {
            return (await store.pool.query(postgres, params)).rows as Record<string, unknown>[];
          } finally {
            await store.close();
          }
        },
      };
    },
    async cleanup() {
      try {
        for (const store of opened) await store.close();
      } finally {
        if (database) await (await database).drop();
      }
    },
  };
}

/** Both backends, for `describe.each`: SQLite (the data folder) and Postgres (the local server, a schema per place). */
export const STORE_BACKENDS: readonly { kind: StoreKind; create: () => StoreBackend }[] = [
  { kind: 'sqlite', create: sqliteBackend },
  { kind: 'postgres', create: postgresBackend },
];
