#!/usr/bin/env node
// `npm test`: lint, build, typecheck, unit/integration tests, the example flows' tests (`flowloom test flows`, on
// their recorded model calls), then browser (e2e) tests, and one final line
// `N passed, N failed[, N skipped]`. Exits non-zero when anything failed.
//
// Counts come from the runners' own summary lines (vitest's "Tests  3 failed | 40 passed (43)", Playwright's
// "  12 passed (9.1s)"), read from turbo's task-prefixed output, so they hold for cached task replays too. A step
// or task that fails without any test summary (a build error, a crashed runner) counts as one failure.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/lib/chromium/chromium'];

process.env.TURBO_TELEMETRY_DISABLED = '1';
process.env.DO_NOT_TRACK = '1';

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findChromium() {
  return CHROMIUM_CANDIDATES.find((path) => path && isExecutable(path));
}

function ensureChromium() {
  let found = findChromium();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (isRoot && hasApt) {
    console.log('Chromium not found: installing it from Debian packages (apt-get install -y chromium) ...');
    const result = spawnSync('sh', ['-c', 'apt-get update && apt-get install -y chromium'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    found = result.status === 0 ? findChromium() : undefined;
    if (found) return found;
  }
  console.error(
    'Chromium is needed for the browser tests and was not found (looked at CHROMIUM_PATH, /usr/bin/chromium, ' +
      '/usr/lib/chromium/chromium).\nInstall it, e.g. `sudo apt-get install -y chromium` on Debian/Ubuntu, or set ' +
      'CHROMIUM_PATH to a Chromium or Chrome binary. (Do not run `npx playwright install`.)',
  );
  process.exit(1);
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
const TASK_PREFIX = /^(\S+?):([\w:-]+?): (.*)$/;

/** Runs a command, streaming its output, and returns its exit code and output lines. */
function run(command, args, env = {}) {
  console.log(`\n$ ${[command, ...args].join(' ')}`);
  return new Promise((done) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = [];
    let partial = '';
    const collect = (chunk) => {
      const text = partial + chunk.toString('utf8');
      const parts = text.split(/\r?\n/);
      partial = parts.pop() ?? '';
      for (const line of parts) lines.push(line.replace(ANSI, ''));
    };
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      collect(chunk);
    });
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      collect(chunk);
    });
    child.on('error', (err) => {
      console.error(`could not start ${command}: ${err.message}`);
      done({ code: 1, lines });
    });
    child.on('close', (code) => {
      if (partial) lines.push(partial.replace(ANSI, ''));
      done({ code: code ?? 1, lines });
    });
  });
}

/**
 * The names of failed tests, so the summary at the end (often all a CI log keeps) says which ones: vitest's
 * "FAIL  src/a.test.ts > suite > name" lines, Playwright's "✘  3 e2e/a.spec.ts:12:1 › name (1.2s)" lines.
 */
function failedTestNames(lines) {
  const names = new Set();
  for (const raw of lines) {
    const prefixed = TASK_PREFIX.exec(raw);
    const line = prefixed ? prefixed[3] : raw;
    const task = prefixed ? `${prefixed[1]}#${prefixed[2]}: ` : '';
    const vitest = /^\s*FAIL\s+(\S.*?)\s*$/.exec(line);
    if (vitest?.[1]) names.add(`${task}${vitest[1]}`);
    // Only in e2e tasks: vitest marks a failed test with × too, before a name that may start with a number.
    const playwright = /^\s*[✘×]\s+\d+\s+(\S.*›.*?)(?:\s+\(\d[\d.]*m?s\))?\s*$/.exec(line);
    if (playwright?.[1] && (!prefixed || prefixed[2].includes('e2e'))) names.add(`${task}${playwright[1]}`);
  }
  return names;
}

/** Test counts per turbo task, from the runners' summary lines. */
function countTests(lines) {
  const tasks = new Map();
  const failedTasks = new Set();
  for (const raw of lines) {
    // turbo's recap: "Failed:    @flowloom/editor#build, @flowloom/nodes#test"
    const failedLine = /^\s*Failed:\s+(.+)$/.exec(raw);
    if (failedLine?.[1]) for (const id of failedLine[1].split(/[,\s]+/)) if (id.includes('#')) failedTasks.add(id);
    const prefixed = TASK_PREFIX.exec(raw);
    if (!prefixed) continue;
    const [, pkg, task, line] = prefixed;
    const id = `${pkg}#${task}`;
    const counts = tasks.get(id) ?? { passed: 0, failed: 0, skipped: 0, summaries: 0 };
    tasks.set(id, counts);
    // vitest: "      Tests  4 failed | 17 passed | 1 skipped (22)" (not "Test Files ...")
    const vitest = /^\s*Tests\s+(.+)\(\d+\)\s*$/.exec(line);
    if (vitest?.[1]) {
      counts.summaries++;
      for (const [, n, kind] of vitest[1].matchAll(/(\d+) (passed|failed|skipped|todo)/g)) {
        if (kind === 'passed') counts.passed += Number(n);
        else if (kind === 'failed') counts.failed += Number(n);
        else counts.skipped += Number(n);
      }
      continue;
    }
    // Playwright (list, line and dot reporters): "  12 passed (9.1s)", "  1 failed", "  2 flaky", "  3 skipped"
    const playwright = /^\s{0,4}(\d+) (passed|failed|flaky|skipped|did not run|interrupted)\b/.exec(line);
    if (playwright && task.includes('e2e')) {
      const n = Number(playwright[1]);
      counts.summaries++;
      if (playwright[2] === 'passed' || playwright[2] === 'flaky') counts.passed += n;
      else if (playwright[2] === 'skipped') counts.skipped += n;
      else counts.failed += n;
    }
  }
  // A task that failed without reporting a failed test (build error, runner crash) is one failure.
  for (const id of failedTasks) {
    const counts = tasks.get(id) ?? { passed: 0, failed: 0, skipped: 0, summaries: 0 };
    tasks.set(id, counts);
    if (counts.failed === 0) {
      counts.failed = 1;
      counts.note = 'task failed';
    }
  }
  return tasks;
}

// By task id: a task replayed by a later turbo run (a dependency build) is counted once, with its latest result.
const allTasks = new Map();
const stepFailures = [];
const failedNames = new Set();

function addTasks(tasks) {
  for (const [id, counts] of tasks) if (counts.summaries > 0 || counts.note) allTasks.set(id, counts);
}

const chromium = ensureChromium();
console.log(`Chromium: ${chromium}`);

const lint = await run('npx', ['biome', 'check', '.']);
if (lint.code !== 0) stepFailures.push('lint (biome check .)');

const turboArgs = ['--continue=dependencies-successful', '--log-order=stream', '--log-prefix=task'];

/** Runs turbo and records its tasks; a failed run that names no failed task counts as one failed step. */
async function turbo(tasks, env) {
  const result = await run('npx', ['turbo', 'run', ...tasks, ...turboArgs], env);
  const counted = countTests(result.lines);
  addTasks(counted);
  for (const name of failedTestNames(result.lines)) failedNames.add(name);
  const hasFailure = [...counted.values()].some((counts) => counts.failed > 0);
  if (result.code !== 0 && !hasFailure) stepFailures.push(`turbo run ${tasks.join(' ')}`);
}

await turbo(['build', 'typecheck', 'test']);

/** The tests of flows/ through the built CLI, counted from its last line "flowloom test: N passed, N failed[, N skipped]". */
async function flowTests() {
  // An absolute path: npm may have been started in a package folder (INIT_CWD).
  const result = await run('node', [resolve(ROOT, 'runtime/bin/flowloom.js'), 'test', resolve(ROOT, 'flows')]);
  const summary = result.lines
    .map((line) => /^flowloom test: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?/.exec(line))
    .findLast(Boolean);
  if (!summary) {
    stepFailures.push('flow tests (flowloom test flows)');
    return;
  }
  const [, passed, failed, skipped] = summary.map(Number);
  allTasks.set('flows#flowloom test', { passed, failed, skipped: skipped || 0, summaries: 1 });
}

await flowTests();
await turbo(['e2e'], { CHROMIUM_PATH: chromium });

const totals = { passed: 0, failed: stepFailures.length, skipped: 0 };
console.log('\nSummary:');
for (const step of stepFailures) console.log(`  ${step}: failed`);
for (const [id, counts] of allTasks) {
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
  const skipped = counts.skipped ? `, ${counts.skipped} skipped` : '';
  console.log(
    `  ${id}: ${counts.passed} passed, ${counts.failed} failed${skipped}${counts.note ? ` (${counts.note})` : ''}`,
  );
}
if (failedNames.size > 0) {
  console.log('Failed tests:');
  for (const name of failedNames) console.log(`  ${name}`);
}
if (totals.passed + totals.failed === 0) {
  console.log('  no tests ran');
  totals.failed = 1;
}
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed > 0 ? 1 : 0);
