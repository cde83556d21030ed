import { iterationProblems, scoreText, totalsOf } from './report.js';
import type { CaseResult, SuiteResult } from './run-suite.js';

/** Whether XML 1.0 can hold a character: not control characters but tab and newlines, lone surrogates, U+FFFE/F. */
function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    code >= 0x10000
  );
}

/** Text safe inside an XML attribute or element. */
export function xmlText(text: string): string {
  let kept = '';
  // By code point: a surrogate pair is one character, a lone surrogate is one too (and replaced).
  for (const char of text) kept += isXmlChar(char.codePointAt(0) ?? 0) ? char : '\uFFFD';
  return kept
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${xmlText(String(value))}"`)
    .join('');
}

/** Every iteration of a case with every verdict (passed ones too) and its outputs: what a CI page shows. */
function details(result: CaseResult): string {
  const lines: string[] = [];
  result.iterations.forEach((iteration, index) => {
    const head = `iteration ${index + 1}: ${iteration.isPassed ? 'passed' : 'failed'}${iteration.runId ? ` (run ${iteration.runId})` : ''}`;
    lines.push(head);
    if (iteration.error) lines.push(`  run failed: ${iteration.error.code}: ${iteration.error.message}`);
    for (const [name, score] of Object.entries(iteration.scores)) {
      lines.push(`  ${scoreText(name, score, result.thresholds[name])}`);
    }
    if (iteration.outputs) {
      const outputs = JSON.stringify(iteration.outputs);
      lines.push(`  outputs: ${outputs.length > 2000 ? `${outputs.slice(0, 2000)}…` : outputs}`);
    }
  });
  return lines.join('\n');
}

function testcase(result: CaseResult, classname: string): string {
  const open = `    <testcase${attributes({ name: result.name, classname, time: seconds(result.durationMs) })}`;
  if (result.status === 'skipped')
    return `${open}>\n      <skipped${attributes({ message: result.skipReason ?? '' })}/>\n    </testcase>`;
  if (result.status === 'passed') return `${open}/>`;
  // A run that failed or an evaluator that could not score is an error; scores under their threshold are a failure.
  const isError = result.iterations.some(
    (iteration) => iteration.error || Object.values(iteration.scores).some((score) => score.error),
  );
  const failed = result.iterations.find((iteration) => !iteration.isPassed);
  const problems = failed ? iterationProblems(failed, result.thresholds) : [];
  const code = failed?.error?.code ?? Object.values(failed?.scores ?? {}).find((score) => score.error)?.error?.code;
  const tag = isError ? 'error' : 'failure';
  const message = problems.join('; ') || 'failed';
  const type = isError ? (code ?? 'ERROR') : 'EVALUATION_FAILED';
  return `${open}>\n      <${tag}${attributes({ message, type })}>${xmlText(details(result))}</${tag}>\n    </testcase>`;
}

function errorsOf(result: SuiteResult): number {
  return result.cases.filter(
    (c) =>
      c.status === 'failed' &&
      c.iterations.some((iteration) => iteration.error || Object.values(iteration.scores).some((score) => score.error)),
  ).length;
}

/**
 * JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): one `<testsuite>` per test file, one
 * `<testcase>` per case, `<failure>` when scores fell under their thresholds and `<error>` when a run failed or an
 * evaluator could not score, each with every verdict of every iteration; `<skipped>` with its reason.
 */
export function junitXml(results: readonly SuiteResult[], durationMs: number): string {
  const totals = totalsOf(results);
  const allErrors = results.reduce((sum, result) => sum + errorsOf(result), 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({
      name: 'flowloom test',
      tests: totals.passed + totals.failed + totals.skipped,
      failures: totals.failed - allErrors,
      errors: allErrors,
      skipped: totals.skipped,
      time: seconds(durationMs),
    })}>`,
  ];
  for (const result of results) {
    const counts = totalsOf([result]);
    const errors = errorsOf(result);
    lines.push(
      `  <testsuite${attributes({
        name: result.suite.name,
        tests: result.cases.length,
        failures: counts.failed - errors,
        errors,
        skipped: counts.skipped,
        time: seconds(result.durationMs),
        timestamp: result.startedAt.replace(/\.\d+Z$/, ''),
        file: result.suite.name,
      })}>`,
    );
    for (const testCase of result.cases) lines.push(testcase(testCase, result.suite.flow.id));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
