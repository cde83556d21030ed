import { describe, expect, it } from 'vitest';
import { junitXml, xmlText } from './junit.js';
import type { SuiteResult } from './run-suite.js';
import type { FlowTestSuite } from './suites.js';

describe('xmlText', () => {
  it('escapes markup and replaces what XML cannot hold, keeping pairs of surrogates', () => {
    expect(xmlText(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(xmlText('tab\tnew\nline\u0001\u001f\ufffe')).toBe('tab\tnew\nline\ufffd\ufffd\ufffd');
    expect(xmlText('emoji 😀 lone \ud800!')).toBe('emoji 😀 lone \ufffd!');
  });
});

describe('junitXml', () => {
  const suite = { name: 'flows/chat.flowtest.json', flow: { id: 'chat' } } as FlowTestSuite;
  const result: SuiteResult = {
    suite,
    startedAt: '2026-01-02T03:04:05.678Z',
    durationMs: 1500,
    cases: [
      { name: 'passes', status: 'passed', durationMs: 12, thresholds: {}, iterations: [] },
      {
        name: 'scores low',
        status: 'failed',
        durationMs: 20,
        thresholds: { contains: 1 },
        iterations: [
          {
            runId: 'r_1',
            isPassed: false,
            outputs: { answer: 'no <b>' },
            scores: { contains: { score: 0, pass: false, reason: 'missing "x"' } },
          },
        ],
      },
      {
        name: 'run fails',
        status: 'failed',
        durationMs: 3,
        thresholds: {},
        iterations: [
          {
            runId: 'r_2',
            isPassed: false,
            error: { code: 'RECORDING_NOT_FOUND', message: 'node "llm" failed' },
            scores: {},
          },
        ],
      },
      { name: 'later', status: 'skipped', skipReason: 'needs a key', durationMs: 0, thresholds: {}, iterations: [] },
    ],
  };

  it('writes a testsuite per file and a testcase per case, with failures, errors, skips and their scores', () => {
    const xml = junitXml([result], 2000);
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="flowloom test" tests="4" failures="1" errors="1" skipped="1" time="2.000">/,
    );
    expect(xml).toContain(
      '<testsuite name="flows/chat.flowtest.json" tests="4" failures="1" errors="1" skipped="1" time="1.500" timestamp="2026-01-02T03:04:05" file="flows/chat.flowtest.json">',
    );
    expect(xml).toContain('<testcase name="passes" classname="chat" time="0.012"/>');
    expect(xml).toContain(
      '<failure message="contains 0.00 failed (threshold 1): missing &quot;x&quot;" type="EVALUATION_FAILED">iteration 1: failed (run r_1)\n  contains 0.00 failed (threshold 1): missing &quot;x&quot;\n  outputs: {&quot;answer&quot;:&quot;no &lt;b&gt;&quot;}</failure>',
    );
    expect(xml).toContain(
      '<error message="run failed: RECORDING_NOT_FOUND: node &quot;llm&quot; failed" type="RECORDING_NOT_FOUND">',
    );
    expect(xml).toContain('<skipped message="needs a key"/>');
    expect(xml.endsWith('</testsuites>\n')).toBe(true);
  });
});
