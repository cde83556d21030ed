import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import {
  AppError,
  checkRunInputs,
  type DataType,
  type FlowFile,
  flowInputs,
  isAppError,
  migrateFlow,
  NodeRegistry,
  type Problem,
  type TraceEvent,
  toErrorBody,
  type Values,
  validateFlow,
} from '@flowloom/nodes';
import { type Config, configFromEnv, ENVIRONMENT, VERSION } from './config.js';
import { isEntryPoint } from './entry-point.js';
import type { StartedRun } from './runs/run-service.js';

/** Exit codes (docs/contracts.md §5). */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Lines of `--help` listing every environment variable (`ENVIRONMENT`), its meaning wrapped, and its default. */
function environmentHelp(width = 100): string {
  const indent = 31;
  const lines = ['Environment:'];
  for (const variable of ENVIRONMENT) {
    const meaning =
      variable.meaning.replaceAll('`', '') + ('default' in variable ? ` Default: ${variable.default}.` : '');
    let line = `  ${variable.name.padEnd(indent - 3)} `;
    for (const word of meaning.split(' ')) {
      if (line.length + word.length + 1 > width && line.trim() !== '') {
        lines.push(line.trimEnd());
        line = ' '.repeat(indent);
      }
      line += `${word} `;
    }
    lines.push(line.trimEnd());
  }
  return lines.join('\n');
}

const USAGE = `Usage: flowloom <command> [options]

Commands:
  serve [--port 3000] [--host 127.0.0.1] [--data .flowloom]
      Serve the editor and the runtime API.
  worker [--data .flowloom]
      Execute queued runs (FLOWLOOM_ROLE=worker): needs DATABASE_URL and REDIS_URL; no HTTP.
      SIGTERM lets its runs finish (FLOWLOOM_WORKER_GRACE_MS), then hands the rest back to the queue.
  run <file.flow.json|flow-id> [--input name=value ...] [--json-input '{...}'] [--data .flowloom]
      Run a flow headless: progress per node on stderr, outputs as JSON on stdout.
      Exit 0 when the run completes, 1 when it fails or is cancelled, 2 on bad input.
  validate <file.flow.json> [--json]
      Print the flow's static problems. Exit 0 when there are none, 1 when there are, 2 when unreadable.
  test [files or folders] [--record] [--junit FILE] [--threshold 0..1]
      Run flow tests (*.flowtest.json; default: all below the current folder) on recorded model calls,
      so no provider or key is needed; --record calls the provider and rewrites each test's recordings.
      A line per case on stderr, the totals on stdout, JUnit XML with --junit. Exit 0 when the pass rate
      reaches --threshold (default 1: every case), 1 when it does not, 2 on bad input.

${environmentHelp()}`;

/** A usage error: exit code 2 with a message. */
class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMAND_OPTIONS: Record<string, Options> = {
  serve: {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  worker: {
    data: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  run: {
    input: { type: 'string', multiple: true, short: 'i' },
    'json-input': { type: 'string' },
    data: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  validate: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  test: {
    record: { type: 'boolean' },
    junit: { type: 'string' },
    threshold: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
};

type Parsed = { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };

function parse(command: string, args: string[]): Parsed {
  try {
    return parseArgs({ args, options: COMMAND_OPTIONS[command], strict: true, allowPositionals: true }) as Parsed;
  } catch (err) {
    // node:util names the flag in its message ("Unknown option '--x'"); keep that, drop Node's hints.
    const message = err instanceof Error ? (err.message.split('. ')[0] ?? err.message) : String(err);
    throw new UsageError(`${command}: ${message}`);
  }
}

/** A flow file from disk, its nodes migrated to the registry's kind versions (see `migrateFlow`). */
function readFlowFile(path: string, registry: NodeRegistry): FlowFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AppError(
      'FLOW_FILE_UNREADABLE',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  let flow: FlowFile;
  try {
    flow = JSON.parse(text) as FlowFile;
  } catch (err) {
    throw new AppError('FLOW_FILE_UNREADABLE', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  return migrateFlow(flow, registry).flow;
}

function formatProblem(problem: Problem): string {
  if (!problem.nodeId) return `${problem.message} [${problem.code}]`;
  return `${problem.nodeId}${problem.port ? `.${problem.port}` : ''}: ${problem.message} [${problem.code}]`;
}

/** `--input name=value`: the value is parsed per the input's data type (text stays as typed). */
function parseInputs(pairs: readonly string[], json: string | undefined, types: Map<string, DataType>): Values {
  let inputs: Values = {};
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      throw new UsageError(`--json-input is not valid JSON: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new UsageError('--json-input must be a JSON object');
    inputs = { ...(parsed as Values) };
  }
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--input ${pair}: expected name=value`);
    const name = pair.slice(0, at);
    const raw = pair.slice(at + 1);
    const type = types.get(name) ?? 'text';
    if (type === 'text' || type === 'any') {
      inputs[name] = raw;
      continue;
    }
    if (type === 'number') {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value))
        throw new UsageError(`--input ${name}: "${raw}" is not a number`);
      inputs[name] = value;
      continue;
    }
    if (type === 'boolean') {
      if (raw !== 'true' && raw !== 'false')
        throw new UsageError(`--input ${name}: expected true or false, got "${raw}"`);
      inputs[name] = raw === 'true';
      continue;
    }
    try {
      inputs[name] = JSON.parse(raw);
    } catch {
      throw new UsageError(`--input ${name}: a ${type} input takes JSON, got "${raw}"`);
    }
  }
  return inputs;
}

function progressLine(event: TraceEvent, names: Map<string, string>): string | undefined {
  if (!event.nodeId || event.parentSpanId) return undefined;
  const name = names.get(event.spanId ?? '') ?? event.nodeId;
  switch (event.type) {
    case 'node.completed': {
      const { usage, durationMs } = event.data;
      const tokens = usage ? `  ${usage.promptTokens + usage.completionTokens} tok` : '';
      return `✓ ${name}  ${Math.round(durationMs)} ms${tokens}`;
    }
    case 'node.failed':
      return `✗ ${name}  ${Math.round(event.data.durationMs ?? 0)} ms  ${event.data.error.code}: ${event.data.error.message}`;
    case 'node.skipped':
      return `- ${name}  skipped (${event.data.reason})`;
    default:
      return undefined;
  }
}

/** npm runs `npx flowloom` in the package folder; INIT_CWD is where the user typed it. */
function fromCwd(env: Record<string, string | undefined>, path: string): string {
  return isAbsolute(path) ? path : resolve(env.INIT_CWD ?? process.cwd(), path);
}

function looksLikeFile(target: string, resolved: string): boolean {
  return target.endsWith('.json') || target.includes('/') || target.includes('\\') || existsSync(resolved);
}

async function runCommand(args: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const { values, positionals } = parse('run', args);
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  const [target, ...extra] = positionals;
  if (!target)
    throw new UsageError(
      'run: give a flow file or a flow id, e.g. flowloom run flows/chat.flow.json --input question=hi',
    );
  if (extra.length > 0)
    throw new UsageError(`run: unexpected argument "${extra[0]}" (inputs go in --input name=value)`);
  const base = configFromEnv(env, {
    logger: false,
    ...(values.data !== undefined && { dataDir: String(values.data) }),
  });
  const config: Config = { ...base, dataDir: fromCwd(env, base.dataDir) };

  const path = fromCwd(env, target);
  const registry = new NodeRegistry();
  const fromFile = looksLikeFile(target, path) ? readFlowFile(path, registry) : undefined;
  const inputPairs = (values.input as string[] | undefined) ?? [];
  const jsonInput = values['json-input'] as string | undefined;
  let fileRun: { flow: FlowFile; inputs: Values } | undefined;
  if (fromFile) {
    // A flow file is checked, and its inputs too, before the runtime opens the data folder: bad input fails fast.
    const problems = validateFlow(fromFile, registry.lookup);
    if (problems.length > 0) {
      throw new AppError('FLOW_INVALID', `${target} has ${problems.length} problem(s)`, {
        details: problems.map((problem) => ({ message: formatProblem(problem) })),
      });
    }
    fileRun = { flow: fromFile, inputs: runInputs(fromFile, registry, inputPairs, jsonInput) };
  }

  // The kernel alone: no HTTP app, no port. Loaded on demand so `validate` and bad input answer fast.
  const { createRuntime } = await import('./kernel.js');
  const runtime = await withDataFolder(config, 'run', () => createRuntime(config));
  try {
    let started: StartedRun;
    if (fileRun) {
      started = runtime.runs.start(fileRun.flow, { inputs: fileRun.inputs, source: 'cli' });
    } else {
      const stored = await runtime.store.getFlow(target);
      if (!stored) {
        throw new AppError('FLOW_NOT_FOUND', `no flow "${target}" in ${runtime.store.location} (and no such file)`);
      }
      const inputs = runInputs(stored.flow, runtime.registry, inputPairs, jsonInput);
      started = await runtime.runs.startSaved(target, { inputs, source: 'cli' });
    }
    const names = new Map<string, string>();
    started.handle.trace.subscribe((event) => {
      if (event.type === 'node.started' && event.spanId && event.nodeId) names.set(event.spanId, event.nodeId);
      const line = progressLine(event, names);
      if (line) io.stderr(`${line}\n`);
    });
    const onSignal = () => started.handle.cancel();
    process.once('SIGINT', onSignal);
    const run = await started.done.finally(() => process.off('SIGINT', onSignal));
    io.stdout(`${JSON.stringify(run.outputs ?? {}, null, 2)}\n`);
    if (run.status === 'completed') {
      const tokens = run.usage ? `, ${run.usage.promptTokens + run.usage.completionTokens} tok` : '';
      io.stderr(`run ${run.runId} completed in ${run.durationMs ?? 0} ms${tokens}\n`);
      return EXIT.ok;
    }
    const reason = run.error ? `${run.error.code}: ${run.error.message}` : run.status;
    io.stderr(`run ${run.runId} ${run.status}: ${reason}\n`);
    return EXIT.failed;
  } finally {
    await runtime.close();
  }
}

/** Errors of the file system (and SQLite's "cannot open") that mean the data folder cannot be used as given. */
const FOLDER_ERRORS = new Set([
  'ENOENT',
  'EEXIST',
  'EACCES',
  'EPERM',
  'ENOTDIR',
  'EISDIR',
  'EROFS',
  'ELOOP',
  'SQLITE_CANTOPEN',
]);

/**
 * Opens what uses the data folder; a folder that cannot be used (missing parent, not a folder, no permission, a
 * read-only place such as /proc) is a usage error naming it (exit 2), not a stack trace.
 */
async function withDataFolder<T>(config: Config, command: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (config.databaseUrl === undefined && typeof code === 'string' && FOLDER_ERRORS.has(code)) {
      const reason = (err as Error).message.split('\n')[0];
      throw new UsageError(`${command}: cannot use the data folder "${config.dataDir}" (--data): ${reason}`);
    }
    throw err;
  }
}

/** The run's inputs from `--input name=value` and `--json-input`, parsed per the flow's inputs and checked. */
function runInputs(flow: FlowFile, registry: NodeRegistry, pairs: readonly string[], json: string | undefined): Values {
  const specs = flowInputs(flow, registry.lookup);
  const inputs = parseInputs(pairs, json, new Map(specs.map((input) => [input.name, input.dataType])));
  checkRunInputs(specs, inputs);
  return inputs;
}

function validateCommand(args: string[], env: Record<string, string | undefined>, io: CliIo): number {
  const { values, positionals } = parse('validate', args);
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  const [path, ...extra] = positionals;
  if (!path) throw new UsageError('validate: give a flow file, e.g. flowloom validate flows/chat.flow.json');
  if (extra.length > 0) throw new UsageError(`validate: unexpected argument "${extra[0]}"`);
  const registry = new NodeRegistry();
  const problems = validateFlow(readFlowFile(fromCwd(env, path), registry), registry.lookup);
  if (values.json) io.stdout(`${JSON.stringify({ ok: problems.length === 0, problems }, null, 2)}\n`);
  else if (problems.length === 0) io.stdout(`${path}: ok\n`);
  else for (const problem of problems) io.stdout(`${path}: ${formatProblem(problem)}\n`);
  return problems.length === 0 ? EXIT.ok : EXIT.failed;
}

async function testCommand(args: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const { values, positionals } = parse('test', args);
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  let threshold = 1;
  if (values.threshold !== undefined) {
    const raw = String(values.threshold);
    threshold = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(threshold) || threshold < 0 || threshold > 1)
      throw new UsageError(`test: --threshold must be a pass rate from 0 to 1, got "${raw}"`);
  }
  if (values.junit === '') throw new UsageError('test: --junit needs a file name');
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    // Loaded on demand, like the kernel for `run`.
    const { testCommand: runTests } = await import('./flow-tests/command.js');
    return await runTests({
      paths: positionals,
      cwd: env.INIT_CWD ?? process.cwd(),
      env,
      isRecording: values.record === true,
      ...(values.junit !== undefined && { junit: String(values.junit) }),
      threshold,
      signal: controller.signal,
      stdout: io.stdout,
      stderr: io.stderr,
    });
  } finally {
    process.off('SIGINT', onSignal);
  }
}

async function serveCommand(
  args: string[],
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<number | undefined> {
  const { values, positionals } = parse('serve', args);
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`serve: unexpected argument "${positionals[0]}"`);
  const fromFlags: Record<string, string | undefined> = { ...env };
  if (values.port !== undefined) fromFlags.PORT = String(values.port);
  if (values.host !== undefined) fromFlags.HOST = String(values.host);
  if (values.data !== undefined) fromFlags.FLOWLOOM_DATA = String(values.data);
  if (fromFlags.FLOWLOOM_DATA) fromFlags.FLOWLOOM_DATA = fromCwd(env, fromFlags.FLOWLOOM_DATA);
  let config: Config;
  try {
    config = configFromEnv(fromFlags);
  } catch (err) {
    throw new UsageError(`serve: ${(err as Error).message.replace('PORT', '--port')}`);
  }
  if (config.role === 'worker')
    throw new UsageError('serve: FLOWLOOM_ROLE is worker, which serves no HTTP: run "flowloom worker"');
  const { startServer } = await import('./main.js');
  const app = await withDataFolder(config, 'serve', () => startServer(config));
  const address = app.server.address();
  const port = address && typeof address === 'object' ? address.port : config.port;
  io.stderr(`Flowloom ${VERSION} on http://${config.host}:${port} (data: ${config.dataDir})\n`);
  return undefined; // keeps serving until a signal
}

/**
 * `flowloom worker`: the worker role. Bad or missing settings, or a Postgres or Redis that cannot be reached, stop
 * it at once with one line naming the variable (exit 2 for settings, 1 for an unreachable part).
 */
async function workerCommand(
  args: string[],
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<number | undefined> {
  const { values, positionals } = parse('worker', args);
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`worker: unexpected argument "${positionals[0]}"`);
  const fromFlags: Record<string, string | undefined> = { ...env, FLOWLOOM_ROLE: 'worker' };
  if (values.data !== undefined) fromFlags.FLOWLOOM_DATA = String(values.data);
  if (fromFlags.FLOWLOOM_DATA) fromFlags.FLOWLOOM_DATA = fromCwd(env, fromFlags.FLOWLOOM_DATA);
  let config: Config;
  try {
    config = configFromEnv(fromFlags);
  } catch (err) {
    io.stderr(`flowloom: worker: ${(err as Error).message}\n`);
    return EXIT.badInput;
  }
  const { startWorker } = await import('./worker.js');
  try {
    await startWorker(config);
  } catch (err) {
    io.stderr(`flowloom: worker: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
  io.stderr(`Flowloom ${VERSION} worker (queue prefix ${config.queue?.prefix})\n`);
  return undefined; // keeps working until a signal
}

/**
 * Runs the CLI. Resolves to the exit code, or undefined when a server was started and keeps the process alive.
 * Usage errors, unreadable files and invalid flows or inputs exit 2 with a message naming what is wrong.
 */
export async function cli(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
): Promise<number | undefined> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(args, env, io);
      case 'worker':
        return await workerCommand(args, env, io);
      case 'run':
        return await runCommand(args, env, io);
      case 'validate':
        return validateCommand(args, env, io);
      case 'test':
        return await testCommand(args, env, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(`${USAGE}\n`);
        return command === undefined ? EXIT.badInput : EXIT.ok;
      case '--version':
      case '-v':
        io.stdout(`${VERSION}\n`);
        return EXIT.ok;
      default:
        throw new UsageError(
          command.startsWith('-')
            ? `unknown option "${command}" (give a command first)`
            : `unknown command "${command}"`,
        );
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`flowloom: ${err.message}\nRun "flowloom --help" for usage.\n`);
      return EXIT.badInput;
    }
    if (isAppError(err) && err.status < 500) {
      const body = toErrorBody(err);
      io.stderr(`flowloom: ${body.code}: ${body.message}\n`);
      for (const detail of body.details ?? []) {
        const d = detail as { input?: string; field?: string; message?: string };
        const at = d.input ?? d.field;
        if (d.message) io.stderr(`  ${at ? `${at}: ` : ''}${d.message}\n`);
      }
      return EXIT.badInput;
    }
    if (isAppError(err)) {
      io.stderr(`flowloom: ${err.code}: ${err.message}\n`);
      return EXIT.failed;
    }
    io.stderr(`flowloom: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.failed;
  }
}

/** Entry of `bin/flowloom.js`: exits with the CLI's code (a server keeps running). */
export async function main(): Promise<void> {
  const code = await cli(process.argv.slice(2), process.env);
  if (code === undefined) return;
  process.exitCode = code;
  // Anything left open (a socket, a child) must not keep a finished command alive.
  setTimeout(() => process.exit(code), 2000).unref();
}

if (isEntryPoint(import.meta.url)) await main();
