import { defineConfig } from 'vitest/config';

// Unit tests only: e2e/*.spec.ts belong to Playwright. Time limits as the runtime's: a loaded CI machine (the first
// test of a file also loads the openai SDK) must not fail a test that is only slow.
export default defineConfig({
  test: { include: ['src/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
