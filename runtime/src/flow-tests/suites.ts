import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import {
  AppError,
  checkRunInputs,
  collectFlowCalls,
  type FlowFile,
  flowInputs,
  flowOutputs,
  isAppError,
  migrateFlow,
  type NodeRegistry,
  type SpecLookup,
  validateFlow,
} from '@flowloom/nodes';
import type { FieldProblem } from '../evals/index.js';
import type { FlowBundle } from '../runs/run-service.js';
import { type FlowTestFile, invalidTestFile, parseFlowTestFile } from './test-file.js';

/** How flow test files are named. */
export const TEST_FILE_SUFFIX = '.flowtest.json';

/** Evaluator types that compare with an expected value. */
const NEEDS_EXPECTED = new Set(['exact', 'contains', 'bleu', 'rouge', 'similarity']);

/** A test file ready to run: its cases, its flow, and where that flow's calls and `flow` evaluators resolve. */
export interface FlowTestSuite {
  /** The test file, absolute. */
  path: string;
  /** The test file as shown: relative to the working directory when it is below it. */
  name: string;
  test: FlowTestFile;
  flow: FlowFile;
  /** Every `*.flow.json` beside the test file and beside the flow, by id (the flow under test first). */
  bundle: FlowBundle;
  /** `<name>.flowtest.recordings.json` beside the test file, absolute and as shown. */
  recordingsPath: string;
  recordingsName: string;
  /** True when the flow (or a flow it calls) reads or writes a collection, or the file fills some. */
  usesVectors: boolean;
  /** True when the flow (or a flow it calls) runs scripts in the sandbox. */
  usesSandbox: boolean;
}

/** A path as shown: relative to `cwd` when it is below it. */
export function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** The recordings file of a test file: `x.flowtest.json` → `x.flowtest.recordings.json`. */
export function recordingsPathOf(testPath: string): string {
  return testPath.endsWith('.json')
    ? `${testPath.slice(0, -'.json'.length)}.recordings.json`
    : `${testPath}.recordings.json`;
}

function walk(dir: string, found: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, found);
    else if (entry.isFile() && entry.name.endsWith(TEST_FILE_SUFFIX)) found.push(path);
  }
}

/**
 * The test files of the given paths (absolute, sorted, each once): a file as it is, a folder's `*.flowtest.json`
 * at any depth (hidden folders and node_modules aside). NOT_FOUND for a path that does not exist or a search that
 * finds nothing.
 */
export function findTestFiles(paths: readonly string[], cwd: string): string[] {
  const found: string[] = [];
  for (const given of paths) {
    const path = resolve(cwd, given);
    if (!existsSync(path)) throw new AppError('NOT_FOUND', `${given}: no such file or folder`);
    if (statSync(path).isDirectory()) walk(path, found);
    else found.push(path);
  }
  const files = [...new Set(found)].sort();
  if (files.length === 0) {
    throw new AppError('NOT_FOUND', `no *${TEST_FILE_SUFFIX} files in ${paths.join(', ')}`);
  }
  return files;
}

/** A flow file from disk, migrated to the current kind versions; undefined when it cannot be read as JSON. */
function readFlow(path: string, registry: NodeRegistry): FlowFile | undefined {
  try {
    const flow = JSON.parse(readFileSync(path, 'utf8')) as FlowFile;
    return migrateFlow(flow, registry).flow;
  } catch {
    return undefined;
  }
}

/** The `*.flow.json` of some folders, by id (unreadable files are left out: they resolve nothing). */
function flowsIn(dirs: readonly string[], registry: NodeRegistry, into: Map<string, FlowFile>): void {
  for (const dir of new Set(dirs)) {
    let names: string[];
    try {
      names = readdirSync(dir)
        .filter((name) => name.endsWith('.flow.json'))
        .sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const flow = readFlow(join(dir, name), registry);
      if (flow && typeof flow.id === 'string' && !into.has(flow.id)) into.set(flow.id, flow);
    }
  }
}

/**
 * Whether any node of the flows has a param of a kind: `collection` (it uses the vector store), `code` (the sandbox).
 * Read from the catalog, so no kind is named here.
 */
function hasParamKind(flows: readonly FlowFile[], lookup: SpecLookup, kind: string): boolean {
  return flows.some((flow) =>
    flow.nodes.some((node) => lookup(node.type)?.params.some((param) => param.kind === kind)),
  );
}

/** The flow a test names: a path relative to the test file, or the id of a `*.flow.json` beside it. */
function resolveFlowFile(test: FlowTestFile, testPath: string): string | undefined {
  const dir = dirname(testPath);
  if (test.flow.endsWith('.json') || test.flow.includes('/') || test.flow.includes('\\'))
    return resolve(dir, test.flow);
  const named = join(dir, `${test.flow}.flow.json`);
  if (existsSync(named)) return named;
  return undefined;
}

/** The problems of the cases against the flow: inputs it does not take, outputs it does not have, missing values. */
function caseProblems(test: FlowTestFile, flow: FlowFile, flows: Map<string, FlowFile>, lookup: SpecLookup) {
  const problems: FieldProblem[] = [];
  const inputs = flowInputs(flow, lookup);
  const outputs = flowOutputs(flow, lookup).map((output) => output.name);
  test.cases.forEach((testCase, index) => {
    try {
      checkRunInputs(inputs, testCase.inputs);
    } catch (err) {
      if (!isAppError(err)) throw err;
      for (const detail of (err.details ?? []) as { input: string; message: string }[]) {
        problems.push({ field: `cases.${index}.inputs.${detail.input}`, message: detail.message });
      }
    }
    testCase.expect.forEach((evaluator, at) => {
      const field = `cases.${index}.expect.${at}`;
      if (evaluator.output !== undefined && !outputs.includes(evaluator.output)) {
        problems.push({
          field: `${field}.output`,
          message: `flow "${flow.id}" has no output "${evaluator.output}" (it has ${outputs.join(', ') || 'none'})`,
        });
      }
      if (NEEDS_EXPECTED.has(evaluator.type) && evaluator.expected === undefined && testCase.expected === undefined) {
        problems.push({
          field: `${field}.expected`,
          message: `${evaluator.type} compares with an expected value: give the case or the evaluator one`,
        });
      }
      if (evaluator.type === 'flow' && !flows.has(evaluator.flowId)) {
        problems.push({
          field: `${field}.flowId`,
          message: `no flow "${evaluator.flowId}" beside the test file or the flow`,
        });
      }
    });
  });
  return problems;
}

/**
 * Reads a test file and everything it needs, and checks it all before anything runs: the file itself
 * (`parseFlowTestFile`), its flow (found, valid, every flow it calls beside it) and each case against the flow.
 * Anything wrong is VALIDATION_FAILED naming the file and the fields.
 */
export function loadSuite(path: string, cwd: string, registry: NodeRegistry): FlowTestSuite {
  const name = shownPath(path, cwd);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw invalidTestFile(name, [{ field: '(root)', message: `cannot be read: ${reason}` }]);
  }
  const test = parseFlowTestFile(text, name, basename(path));
  const flowPath = resolveFlowFile(test, path);
  const flow = flowPath ? readFlow(flowPath, registry) : undefined;
  if (!flowPath || !flow) {
    const where = flowPath
      ? `${shownPath(flowPath, cwd)} cannot be read as a flow file`
      : 'no such flow beside the test file';
    throw invalidTestFile(name, [{ field: 'flow', message: `${JSON.stringify(test.flow)}: ${where}` }]);
  }
  const lookup = registry.lookup;
  const invalid = validateFlow(flow, lookup);
  if (invalid.length > 0) {
    const first = invalid[0];
    const message = `${shownPath(flowPath, cwd)} has ${invalid.length} problem(s): ${first?.nodeId ? `${first.nodeId}: ` : ''}${first?.message}`;
    throw invalidTestFile(name, [{ field: 'flow', message }]);
  }

  const flows = new Map<string, FlowFile>([[flow.id, flow]]);
  flowsIn([dirname(path), dirname(flowPath)], registry, flows);
  const called = collectFlowCalls(
    flow,
    (id) => (flows.has(id) ? { flow: flows.get(id) as FlowFile } : undefined),
    lookup,
  );
  const problems: FieldProblem[] = called
    .filter((entry) => entry.loaded === undefined)
    .map(({ call }) => ({
      field: 'flow',
      message: `node "${call.nodeId}" of flow "${call.flowId}" calls flow "${call.calledFlowId}", which is not beside the test file or the flow`,
    }));
  problems.push(...caseProblems(test, flow, flows, lookup));
  if (problems.length > 0) throw invalidTestFile(name, problems);

  const bundle: FlowBundle = {
    resolve(flowId) {
      const found = flows.get(flowId);
      if (!found) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" is not beside ${name}`);
      return { flow: found, version: null };
    },
    entries: () => [...flows].map(([flowId, found]) => ({ flowId, flow: found, version: null })),
  };
  const recordingsPath = recordingsPathOf(path);
  const usedFlows = [flow, ...called.map((entry) => entry.loaded?.flow).filter((f): f is FlowFile => f !== undefined)];
  return {
    path,
    name,
    test,
    flow,
    bundle,
    recordingsPath,
    recordingsName: shownPath(recordingsPath, cwd),
    usesVectors: Object.keys(test.collections).length > 0 || hasParamKind(usedFlows, lookup, 'collection'),
    usesSandbox: hasParamKind(usedFlows, lookup, 'code'),
  };
}
