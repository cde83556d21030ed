import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeRegistry } from '@flowloom/nodes';
import { type Config, configFromEnv } from '../config.js';
import { createRuntime, type Runtime } from '../kernel.js';
import { ModelRecordings, recordedEmbeddings, recordedLlm } from '../providers/recorded-models.js';
import { junitXml } from './junit.js';
import { caseLines, suiteLine, summaryLine, totalsOf } from './report.js';
import { fillCollections, runSuite, type SuiteResult } from './run-suite.js';
import { type FlowTestSuite, findTestFiles, loadSuite } from './suites.js';

export interface TestCommandOptions {
  /** Files and folders to test (relative to `cwd`); none: `cwd`. */
  paths: readonly string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Call the real provider and rewrite each test file's recordings, instead of replaying them. */
  isRecording: boolean;
  /** Where to write JUnit XML (relative to `cwd`). */
  junit?: string;
  /** The pass rate (0..1) needed to exit 0; default 1: every case. */
  threshold: number;
  /** Stops the tests (Ctrl-C): the running case is cancelled, nothing after it runs. */
  signal: AbortSignal;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * `flowloom test` (docs/contracts.md §5 and §7): loads and checks every test file first (bad input: VALIDATION_FAILED
 * or NOT_FOUND, thrown before anything runs), then runs them on one runtime over a temporary data folder whose model
 * services replay each file's recordings (or record them with `isRecording`), with a progress line per case on stderr
 * and the totals on stdout. Resolves to the exit code: 0 when the pass rate reaches the threshold, else 1.
 */
export async function testCommand(options: TestCommandOptions): Promise<number> {
  const started = performance.now();
  const registry = new NodeRegistry();
  const files = findTestFiles(options.paths.length > 0 ? options.paths : ['.'], options.cwd);
  const suites = files.map((file) => loadSuite(file, options.cwd, registry));
  const recordings = new Map<FlowTestSuite, ModelRecordings>(
    suites.map((suite) => [
      suite,
      options.isRecording
        ? ModelRecordings.recording(suite.recordingsName)
        : ModelRecordings.replaying(
            suite.recordingsName,
            existsSync(suite.recordingsPath) ? readFileSync(suite.recordingsPath, 'utf8') : undefined,
          ),
    ]),
  );

  // One runtime for all suites: its model services answer from the recordings of the suite whose work calls them.
  const active = new AsyncLocalStorage<ModelRecordings>();
  const dataDir = mkdtempSync(join(tmpdir(), 'flowloom-test-'));
  const base = configFromEnv(options.env, { logger: false });
  const config: Config = {
    ...base,
    dataDir,
    // Always the runtime's own Chroma, in the temporary folder: no test writes to a shared vector store.
    chromaUrl: undefined,
    wrapModels: {
      llm: (llm) => recordedLlm(llm, () => active.getStore()),
      embeddings: (embeddings) => recordedEmbeddings(embeddings, () => active.getStore()),
    },
  };
  let runtime: Runtime;
  try {
    runtime = await createRuntime(config);
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const results: SuiteResult[] = [];
  try {
    // Chroma, its first collection and the sandbox's first worker take seconds to start: start them now, in the
    // background, and run the suites that need them last. The first suite that uses the vector store (on the empty
    // store of a new runtime) fills its collections meanwhile.
    const rank = (suite: FlowTestSuite) => (suite.usesVectors ? 2 : suite.usesSandbox ? 1 : 0);
    const ordered = [...suites].sort((a, b) => rank(a) - rank(b));
    const running = ordered.filter((suite) => !suite.test.skip);
    const firstWithVectors = running.find((suite) => suite.usesVectors);
    const vectorsReady =
      firstWithVectors &&
      active.run(recordings.get(firstWithVectors) as ModelRecordings, () =>
        runtime.vectors.ready().then(() => fillCollections(runtime, firstWithVectors, options.signal)),
      );
    vectorsReady?.catch(() => {}); // its suite reports the failure
    // A suite waits for the warm worker: a script sent while it starts would start a second one.
    const sandboxReady = running.some((suite) => suite.usesSandbox)
      ? runtime.services.sandbox?.run('return 0;', {}, { signal: options.signal }).catch(() => {})
      : undefined;
    for (const suite of ordered) {
      if (options.signal.aborted) break;
      if (suite.usesSandbox) await sandboxReady;
      options.stderr(suiteLine(suite));
      const suiteRecordings = recordings.get(suite) as ModelRecordings;
      const result = await active.run(suiteRecordings, () =>
        runSuite(runtime, suite, {
          signal: options.signal,
          ...(suite === firstWithVectors && vectorsReady && { vectorsReady }),
          onCase: (testCase) => options.stderr(caseLines(testCase)),
        }),
      );
      results.push(result);
      if (options.isRecording) writeRecordings(suite, suiteRecordings, options.stderr);
    }
  } finally {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  // Reports in the order of the files, whatever order they ran in.
  results.sort((a, b) => suites.indexOf(a.suite) - suites.indexOf(b.suite));
  const durationMs = performance.now() - started;
  if (options.junit !== undefined) {
    writeFileSync(resolve(options.cwd, options.junit), junitXml(results, durationMs));
  }
  const totals = totalsOf(results);
  options.stdout(summaryLine(totals, options.threshold, durationMs));
  if (options.signal.aborted) return 1;
  return totals.failed === 0 || totals.passRate >= options.threshold ? 0 : 1;
}

/** Rewrites a suite's recordings with what this session recorded (none: the file goes, as nothing needs it). */
function writeRecordings(suite: FlowTestSuite, recordings: ModelRecordings, stderr: (text: string) => void): void {
  if (recordings.size === 0) {
    if (existsSync(suite.recordingsPath)) {
      rmSync(suite.recordingsPath);
      stderr(`  removed ${suite.recordingsName}: no model calls to record\n`);
    }
    return;
  }
  writeFileSync(suite.recordingsPath, recordings.serialize());
  stderr(`  recorded ${recordings.size} model request(s) in ${suite.recordingsName}\n`);
}
