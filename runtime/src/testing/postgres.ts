import pg from 'pg';

// Test helpers for the Postgres store (not used by the runtime itself). Every test file gets a database of its own
// (`flowloom_test_<pid>_<n>`), every store in it a schema of its own; the database is dropped after the file. Nothing
// else on the server is touched.

/** The server the tests use: FLOWLOOM_TEST_PG_URL, else the local one (trust auth, user postgres). */
export const TEST_PG_URL = process.env.FLOWLOOM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let databases = 0;
let schemas = 0;

/** A URL to another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `the Postgres tests need a server at ${TEST_PG_URL} (.ci/run starts one; or set FLOWLOOM_TEST_PG_URL): ${
        (err as Error).message
      }`,
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A database of this test file's own. */
export interface TestDatabase {
  /** Its connection URL. */
  url: string;
  name: string;
  /** A fresh schema name in it (the store creates the schema). */
  schema(): string;
  /** Drops the database, closing whatever is still connected to it. */
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `flowloom_test_${process.pid}_${Date.now().toString(36)}_${databases++}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  return {
    url: withDatabase(TEST_PG_URL, name),
    name,
    schema: () => `s${schemas++}`,
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}
