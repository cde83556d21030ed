import type { TestProject } from 'vitest/node';
import { createTestDatabase } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set when FLOWLOOM_TEST_DATABASE=postgres: the database `startTestApp` puts each app's schema in. */
    testDatabaseUrl: string | undefined;
  }
}

/**
 * Vitest global setup. With FLOWLOOM_TEST_DATABASE=postgres, the HTTP-level suites run on Postgres: one database
 * for the whole run (each app started by `startTestApp` gets a schema of its own in it), dropped at the end.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.FLOWLOOM_TEST_DATABASE !== 'postgres') {
    project.provide('testDatabaseUrl', undefined);
    return undefined;
  }
  const database = await createTestDatabase();
  project.provide('testDatabaseUrl', database.url);
  return () => database.drop();
}
