#!/usr/bin/env node
// `npm run bench [-- name ...]`: builds what the benchmarks import, then runs bench/<name>/index.(mjs|ts) for every
// (or each named) benchmark, TypeScript through tsx; other `--flags` are passed on (e.g. `--quick`). `--profile` adds `node --cpu-prof` (profiles land in
// bench/results/profiles/). Results are printed; each benchmark also writes bench/results/<name>.json.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = join(ROOT, 'bench');
process.env.TURBO_TELEMETRY_DISABLED = '1';

const args = process.argv.slice(2);
const profile = args.includes('--profile');
const wanted = args.filter((arg) => !arg.startsWith('--'));

const entries = readdirSync(BENCH, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && (wanted.length === 0 || wanted.includes(entry.name)))
  .map((entry) => {
    const dir = join(BENCH, entry.name);
    const file = ['index.mjs', 'index.ts'].map((name) => join(dir, name)).find((path) => existsSync(path));
    return file && { name: entry.name, file };
  })
  .filter(Boolean);

if (entries.length === 0) {
  console.error(`no benchmark found${wanted.length ? ` named ${wanted.join(', ')}` : ''} under bench/`);
  process.exit(2);
}

// The benchmarks import the built packages (tsc output): @flowloom/nodes, the runtime's dist and the fake OpenAI
// server. tsc emits even when another file has a type error, so go on when the files are there.
const build = spawnSync('npx', ['tsc', '-b', 'runtime', 'test'], { cwd: ROOT, stdio: 'inherit' });
const needed = ['nodes/dist/index.js', 'runtime/dist/engine/index.js', 'test/dist/fake-openai.js'];
const missing = needed.filter((path) => !existsSync(join(ROOT, path)));
if (missing.length > 0) {
  console.error(`build failed (exit ${build.status}): missing ${missing.join(', ')}`);
  process.exit(1);
}
if (build.status !== 0) console.warn('warning: tsc reported errors; benchmarking the emitted files anyway');

let failed = 0;
for (const { name, file } of entries) {
  console.log(`\n== bench/${name}`);
  const nodeArgs = ['--expose-gc'];
  if (file.endsWith('.ts')) nodeArgs.push('--import', 'tsx');
  if (profile) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${join(BENCH, 'results', 'profiles')}`);
  const passed = args.filter((arg) => arg.startsWith('--') && arg !== '--profile');
  const result = spawnSync(process.execPath, [...nodeArgs, file, ...passed], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
