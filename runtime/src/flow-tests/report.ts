import type { ErrorBody } from '@flowloom/nodes';
import type { EvalScore } from '../evals/index.js';
import type { CaseResult, IterationResult, SuiteResult } from './run-suite.js';
import type { FlowTestSuite } from './suites.js';

/** The totals of a test command. */
export interface Totals {
  passed: number;
  failed: number;
  skipped: number;
  /** passed / (passed + failed); 1 when nothing ran. */
  passRate: number;
}

export function totalsOf(results: readonly SuiteResult[]): Totals {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  for (const result of results) for (const testCase of result.cases) totals[testCase.status]++;
  const ran = totals.passed + totals.failed;
  return { ...totals, passRate: ran === 0 ? 1 : totals.passed / ran };
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function errorText(error: ErrorBody): string {
  return `${error.code}: ${error.message}`;
}

/** One verdict as a line: `contains 0.50 (threshold 1): missing "DHL"`, `llm_judge error PROVIDER_ERROR: ...`. */
export function scoreText(name: string, score: EvalScore, threshold: number | undefined): string {
  if (score.error) return `${name} error ${errorText(score.error)}`;
  const value = (score.score ?? 0).toFixed(2);
  const mark = score.pass ? 'passed' : 'failed';
  const reason = score.reason ? `: ${score.reason}` : '';
  return `${name} ${value} ${mark} (threshold ${threshold ?? '?'})${reason}`;
}

/** What went wrong in one iteration: the run's error, or the verdicts that did not pass. */
export function iterationProblems(iteration: IterationResult, thresholds: Record<string, number>): string[] {
  if (iteration.error) return [`run failed: ${errorText(iteration.error)}`];
  return Object.entries(iteration.scores)
    .filter(([, score]) => !score.pass)
    .map(([name, score]) => scoreText(name, score, thresholds[name]));
}

/** The line that opens a suite on stderr. */
export function suiteLine(suite: FlowTestSuite): string {
  const iterations = suite.test.iterations > 1 ? `, ${suite.test.iterations} iterations each` : '';
  return `${suite.name}  (flow ${suite.flow.id}${iterations})\n`;
}

/** A case's progress line on stderr, with the problems of its failed iterations under it. */
export function caseLines(result: CaseResult): string {
  if (result.status === 'skipped') return `  - ${result.name}  skipped: ${result.skipReason}\n`;
  const mark = result.status === 'passed' ? '✓' : '✗';
  const total = result.iterations.length;
  const failed = result.iterations.filter((iteration) => !iteration.isPassed).length;
  const count = total > 1 && failed > 0 ? `  ${failed} of ${total} iterations failed` : '';
  let text = `  ${mark} ${result.name}  ${ms(result.durationMs)}${count}\n`;
  result.iterations.forEach((iteration, index) => {
    if (iteration.isPassed) return;
    const prefix = total > 1 ? `iteration ${index + 1}: ` : '';
    for (const problem of iterationProblems(iteration, result.thresholds)) text += `      ${prefix}${problem}\n`;
  });
  return text;
}

/** The last line: `flowloom test: 10 passed, 1 failed, 2 skipped (pass rate 0.909, threshold 1) in 1.4 s`. */
export function summaryLine(totals: Totals, threshold: number, durationMs: number): string {
  const skipped = totals.skipped > 0 ? `, ${totals.skipped} skipped` : '';
  const rate = Number(totals.passRate.toFixed(3));
  return `flowloom test: ${totals.passed} passed, ${totals.failed} failed${skipped} (pass rate ${rate}, threshold ${threshold}) in ${ms(durationMs)}\n`;
}
