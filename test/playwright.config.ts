import { randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

// The config is evaluated by the runner and again by each worker: pick ports and the data folder once, in the
// runner, and hand them to the workers through the environment (workers inherit it).
process.env.E2E_PORT ??= String(randomInt(20_000, 40_000));
process.env.E2E_FAKE_OPENAI_PORT ??= String(randomInt(40_000, 60_000));
process.env.E2E_DATA ??= fileURLToPath(new URL(`./.tmp-e2e-${process.pid}/`, import.meta.url));
// Per run, so that two runs at once (two people, or CI beside a developer) never delete each other's artifacts.
process.env.E2E_OUTPUT ??= `./test-results/run-${process.pid}`;

const port = Number(process.env.E2E_PORT);
const fakePort = Number(process.env.E2E_FAKE_OPENAI_PORT);
const dataDir = process.env.E2E_DATA;
const baseURL = `http://127.0.0.1:${port}`;

// A fresh data folder per run; the runtime creates it.
if (!process.env.TEST_WORKER_INDEX) rmSync(dataDir, { recursive: true, force: true });

export default defineConfig({
  testDir: './e2e',
  globalTeardown: './fixtures/teardown.ts',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: process.env.E2E_OUTPUT,
  use: {
    baseURL,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1440, height: 900 },
    // The editor follows the system's theme; tests (and screenshots) run in dark unless they ask for light
    // (theme.spec.ts, the light test of a11y.spec.ts).
    colorScheme: 'dark',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: `node dist/fake-openai.js --port ${fakePort}`,
      url: `http://127.0.0.1:${fakePort}/v1/models`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: 'node ../runtime/dist/main.js',
      url: `${baseURL}/api/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        FLOWLOOM_DATA: dataDir,
        OPENAI_BASE_URL: `http://127.0.0.1:${fakePort}/v1`,
        OPENAI_API_KEY: 'sk-e2e',
        LOG_LEVEL: 'warn',
      },
    },
  ],
});
