import { AppError, type ErrorBody, isAppError, toErrorBody, type Values } from '@flowloom/nodes';
import { type EvalScore, type EvalServices, evalServices, evaluate } from '../evals/index.js';
import type { Runtime } from '../kernel.js';
import type { FlowTestSuite } from './suites.js';

/** One run of a case's flow and its verdicts. */
export interface IterationResult {
  runId?: string;
  /** Whether the run completed and every evaluator passed. */
  isPassed: boolean;
  /** Why the run did not complete (or the setup that kept it from starting). */
  error?: ErrorBody;
  outputs?: Values;
  durationMs?: number;
  /** The verdicts by evaluator name (none when the run failed). */
  scores: Record<string, EvalScore>;
}

export type CaseStatus = 'passed' | 'failed' | 'skipped';

export interface CaseResult {
  name: string;
  status: CaseStatus;
  /** Why the case was skipped. */
  skipReason?: string;
  durationMs: number;
  /** The thresholds of the case's evaluators, by name, to show beside their scores. */
  thresholds: Record<string, number>;
  iterations: IterationResult[];
}

export interface SuiteResult {
  suite: FlowTestSuite;
  startedAt: string;
  durationMs: number;
  cases: CaseResult[];
}

export interface RunSuiteOptions {
  /** Stops the suite: the running case's run is cancelled and the cases after it are not run. */
  signal: AbortSignal;
  /**
   * The suite's vector store, made ready ahead (an empty store, then `fillCollections`); unset: a suite that uses
   * the vector store empties it and fills its collections first.
   */
  vectorsReady?: Promise<void>;
  /** Called as each case ends. */
  onCase?: (result: CaseResult, suite: FlowTestSuite) => void;
}

function errorOf(err: unknown): ErrorBody {
  const body = toErrorBody(err);
  if (!isAppError(err) && err instanceof Error) body.message = `${err.name}: ${err.message}`;
  return body;
}

/**
 * Fills the suite's setup collections. Done on an empty vector store (see `resetVectors`), so each test file starts
 * from the same state.
 */
export async function fillCollections(runtime: Runtime, suite: FlowTestSuite, signal: AbortSignal): Promise<void> {
  for (const [name, { embedder, documents }] of Object.entries(suite.test.collections)) {
    try {
      await runtime.vectors.upsert(name, documents, { signal, embedder });
    } catch (err) {
      const body = errorOf(err);
      throw new AppError(body.code, `setup of collection "${name}": ${body.message}`, { cause: err });
    }
  }
}

/** Deletes every collection, so collections an earlier test file's flow wrote do not leak into the next one. */
export async function resetVectors(runtime: Runtime): Promise<void> {
  for (const collection of await runtime.vectors.listCollections()) {
    await runtime.vectors.deleteCollection(collection.name);
  }
}

async function runIteration(
  runtime: Runtime,
  suite: FlowTestSuite,
  index: number,
  services: EvalServices,
  signal: AbortSignal,
): Promise<IterationResult> {
  const testCase = suite.test.cases[index]!;
  const run = await runtime.runs.start(
    suite.flow,
    { inputs: testCase.inputs, bundle: suite.bundle, signal, source: 'test' },
    null,
  ).done;
  const base = { runId: run.runId, ...(run.durationMs !== undefined && { durationMs: run.durationMs }) };
  if (run.status !== 'completed') {
    const error = run.error ?? { code: 'RUN_CANCELLED' as const, message: `the run was ${run.status}` };
    return { ...base, isPassed: false, error, scores: {} };
  }
  const outputs = run.outputs ?? {};
  const scores = await evaluate(
    testCase.expect,
    {
      input: testCase.inputs,
      outputs,
      ...(testCase.expected !== undefined && { expected: testCase.expected }),
      run: { runId: run.runId, durationMs: run.durationMs, costUsd: run.costUsd },
    },
    services,
    { signal },
  );
  return { ...base, isPassed: Object.values(scores).every((score) => score.pass), outputs, scores };
}

/**
 * Runs a suite's cases one after the other (so recorded answers replay in the order they were recorded), each
 * `iterations` times: a case passes when every iteration's run completes and every evaluator passes. A setup that
 * fails fails every case with its error. Never throws for a case; the caller reports.
 */
export async function runSuite(runtime: Runtime, suite: FlowTestSuite, options: RunSuiteOptions): Promise<SuiteResult> {
  const { signal } = options;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const services = evalServices(runtime.runs, {
    lookup: runtime.registry.lookup,
    embeddings: runtime.embeddings,
    bundle: suite.bundle,
  });
  let setupError: ErrorBody | undefined;
  if (!suite.test.skip && suite.usesVectors) {
    try {
      await (options.vectorsReady ?? resetVectors(runtime).then(() => fillCollections(runtime, suite, signal)));
    } catch (err) {
      setupError = errorOf(err);
    }
  }
  const cases: CaseResult[] = [];
  for (const [index, testCase] of suite.test.cases.entries()) {
    if (signal.aborted) break;
    const caseStarted = performance.now();
    const thresholds = Object.fromEntries(testCase.expect.map((evaluator) => [evaluator.name, evaluator.threshold]));
    const skipReason = suite.test.skip ?? testCase.skip;
    let result: CaseResult;
    if (skipReason !== undefined) {
      result = { name: testCase.name, status: 'skipped', skipReason, durationMs: 0, thresholds, iterations: [] };
    } else {
      const iterations: IterationResult[] = [];
      for (let i = 0; i < suite.test.iterations && !signal.aborted; i++) {
        if (setupError) iterations.push({ isPassed: false, error: setupError, scores: {} });
        else {
          try {
            iterations.push(await runIteration(runtime, suite, index, services, signal));
          } catch (err) {
            iterations.push({ isPassed: false, error: errorOf(err), scores: {} });
          }
        }
      }
      const isPassed = iterations.length === suite.test.iterations && iterations.every((it) => it.isPassed);
      result = {
        name: testCase.name,
        status: isPassed ? 'passed' : 'failed',
        durationMs: performance.now() - caseStarted,
        thresholds,
        iterations,
      };
    }
    cases.push(result);
    options.onCase?.(result, suite);
  }
  return { suite, startedAt, durationMs: performance.now() - started, cases };
}
