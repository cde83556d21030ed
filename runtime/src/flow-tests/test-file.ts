import { AppError, type Document, type Values } from '@flowloom/nodes';
import { type Evaluator, type FieldProblem, parseEvaluators } from '../evals/index.js';
import { parseEmbedder } from '../rag/embeddings.js';
import { COLLECTION_NAME } from '../rag/vectors.js';

/** The format of flow test files, `*.flowtest.json` (docs/contracts.md §7). */
export const FLOW_TEST_FORMAT = 'flowloom.test/v1';

/** Iterations a file may ask for. */
export const MAX_ITERATIONS = 100;

/** One case: inputs for a run of the flow, and what its outputs must satisfy. */
export interface FlowTestCase {
  name: string;
  inputs: Values;
  /** What evaluators compare with, unless one says its own `expected`. */
  expected?: unknown;
  /** The evaluators, checked and ready (docs/contracts.md §7). */
  expect: Evaluator[];
  /** Why the case is not run, when it is not. */
  skip?: string;
}

/** Documents stored in a collection before the cases run (RAG flows bring their fixtures). */
export interface SetupCollection {
  /** `local` (default) or `openai:<model>`, as an `ingest` node's `embedder`. */
  embedder: string;
  documents: Document[];
}

/** A parsed `flowloom.test/v1` file. */
export interface FlowTestFile {
  /** The flow under test: an id (a `*.flow.json` beside the test file) or a path relative to the test file. */
  flow: string;
  description?: string;
  /** How many times each case runs; every iteration must pass. */
  iterations: number;
  /** Collections to fill, by name, in an empty vector store, before the cases. */
  collections: Record<string, SetupCollection>;
  /** Why the whole file is not run, when it is not. */
  skip?: string;
  cases: FlowTestCase[];
}

const FILE_FIELDS = ['$schema', 'format', 'flow', 'description', 'iterations', 'setup', 'skip', 'cases'];
const CASE_FIELDS = ['name', 'description', 'inputs', 'expected', 'expect', 'skip'];
const DOCUMENT_FIELDS = ['id', 'text', 'metadata'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A test file that cannot be run as it is: VALIDATION_FAILED naming the file, and each field in `details`. */
export function invalidTestFile(path: string, problems: readonly FieldProblem[]): AppError {
  const first = problems[0] ?? { field: '(root)', message: 'is invalid' };
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new AppError('VALIDATION_FAILED', `${path}: ${first.field}: ${first.message}${more}`, {
    details: problems.map((problem) => ({ file: path, ...problem })),
  });
}

function unknownFields(value: Record<string, unknown>, known: readonly string[], at: string, problems: FieldProblem[]) {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      problems.push({ field: `${at}${key}`, message: `unknown field (expected one of ${known.join(', ')})` });
    }
  }
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function parseSetup(setup: unknown, testName: string, problems: FieldProblem[]): Record<string, SetupCollection> {
  const collections: Record<string, SetupCollection> = {};
  if (setup === undefined) return collections;
  if (!isObject(setup)) {
    problems.push({ field: 'setup', message: 'must be an object {collections}' });
    return collections;
  }
  unknownFields(setup, ['collections'], 'setup.', problems);
  if (!isObject(setup.collections)) {
    problems.push({ field: 'setup.collections', message: 'must be an object of collections by name' });
    return collections;
  }
  for (const [name, raw] of Object.entries(setup.collections)) {
    const at = `setup.collections.${name}`;
    if (!COLLECTION_NAME.test(name)) {
      problems.push({ field: at, message: 'is not a collection name (3-512 of a-z A-Z 0-9 . _ -)' });
      continue;
    }
    if (!isObject(raw)) {
      problems.push({ field: at, message: 'must be an object {documents, embedder?}' });
      continue;
    }
    unknownFields(raw, ['embedder', 'documents'], `${at}.`, problems);
    const embedder = raw.embedder ?? 'local';
    try {
      parseEmbedder(typeof embedder === 'string' ? embedder : '?');
    } catch {
      problems.push({ field: `${at}.embedder`, message: 'must be "local" or "openai:<model>"' });
    }
    if (!Array.isArray(raw.documents) || raw.documents.length === 0) {
      problems.push({ field: `${at}.documents`, message: 'must be a non-empty list of documents' });
      continue;
    }
    const documents: Document[] = [];
    raw.documents.forEach((item: unknown, index: number) => {
      const field = `${at}.documents.${index}`;
      const document = typeof item === 'string' ? { text: item } : item;
      if (!isObject(document) || !nonEmptyString(document.text)) {
        problems.push({ field, message: 'must be a text or {text, id?, metadata?}' });
        return;
      }
      unknownFields(document, DOCUMENT_FIELDS, `${field}.`, problems);
      if (document.id !== undefined && !nonEmptyString(document.id))
        problems.push({ field: `${field}.id`, message: 'must be a non-empty string' });
      if (document.metadata !== undefined && !isObject(document.metadata))
        problems.push({ field: `${field}.metadata`, message: 'must be an object' });
      documents.push({
        id: typeof document.id === 'string' ? document.id : `${name}-${index}`,
        text: document.text,
        // Chroma refuses empty metadata; the source says where a retrieved passage came from.
        metadata: { source: testName, ...(isObject(document.metadata) ? document.metadata : {}) },
      });
    });
    collections[name] = { embedder: String(embedder), documents };
  }
  return collections;
}

function parseCase(raw: unknown, index: number, problems: FieldProblem[]): FlowTestCase | undefined {
  const at = `cases.${index}`;
  if (!isObject(raw)) {
    problems.push({ field: at, message: 'must be a case {name, inputs, expected?, expect}' });
    return undefined;
  }
  unknownFields(raw, CASE_FIELDS, `${at}.`, problems);
  if (!nonEmptyString(raw.name)) problems.push({ field: `${at}.name`, message: 'must be a non-empty string' });
  const inputs = raw.inputs ?? {};
  if (!isObject(inputs)) problems.push({ field: `${at}.inputs`, message: 'must be an object of flow inputs by name' });
  if (raw.skip !== undefined && !nonEmptyString(raw.skip))
    problems.push({ field: `${at}.skip`, message: 'must say why the case is skipped' });
  let expect: Evaluator[] = [];
  try {
    expect = parseEvaluators(raw.expect ?? [], `${at}.expect`);
  } catch (err) {
    const details = err instanceof AppError ? ((err.details ?? []) as FieldProblem[]) : [];
    problems.push(...details);
  }
  return {
    name: String(raw.name),
    inputs: isObject(inputs) ? inputs : {},
    ...(raw.expected !== undefined && { expected: raw.expected }),
    expect,
    ...(typeof raw.skip === 'string' && { skip: raw.skip }),
  };
}

/**
 * Parses a flow test file (docs/contracts.md §7). Anything that is not `flowloom.test/v1` (another format, a missing
 * or unknown field, an invalid evaluator, two cases of one name) is VALIDATION_FAILED naming the file and every field
 * at fault; checks that need the flow (its inputs and outputs) come later, when the suite is loaded.
 */
export function parseFlowTestFile(text: string, path: string, testName: string): FlowTestFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalidTestFile(path, [{ field: '(root)', message: `is not valid JSON: ${(err as Error).message}` }]);
  }
  if (!isObject(raw)) throw invalidTestFile(path, [{ field: '(root)', message: 'must be a JSON object' }]);
  if (raw.format !== FLOW_TEST_FORMAT) {
    const got = raw.format === undefined ? 'none' : JSON.stringify(raw.format);
    throw invalidTestFile(path, [{ field: 'format', message: `must be "${FLOW_TEST_FORMAT}", got ${got}` }]);
  }
  const problems: FieldProblem[] = [];
  unknownFields(raw, FILE_FIELDS, '', problems);
  if (!nonEmptyString(raw.flow))
    problems.push({ field: 'flow', message: 'must be a flow id or a path to a flow file' });
  const iterations = raw.iterations ?? 1;
  if (!Number.isInteger(iterations) || (iterations as number) < 1 || (iterations as number) > MAX_ITERATIONS)
    problems.push({ field: 'iterations', message: `must be a whole number from 1 to ${MAX_ITERATIONS}` });
  if (raw.description !== undefined && typeof raw.description !== 'string')
    problems.push({ field: 'description', message: 'must be a string' });
  if (raw.skip !== undefined && !nonEmptyString(raw.skip))
    problems.push({ field: 'skip', message: 'must say why the file is skipped' });
  const collections = parseSetup(raw.setup, testName, problems);
  const cases: FlowTestCase[] = [];
  if (!Array.isArray(raw.cases) || raw.cases.length === 0) {
    problems.push({ field: 'cases', message: 'must be a non-empty list of cases' });
  } else {
    const names = new Map<string, number>();
    raw.cases.forEach((item: unknown, index: number) => {
      const parsed = parseCase(item, index, problems);
      if (!parsed) return;
      const earlier = names.get(parsed.name);
      if (earlier !== undefined && nonEmptyString(parsed.name)) {
        problems.push({
          field: `cases.${index}.name`,
          message: `"${parsed.name}" is the name of cases.${earlier} too`,
        });
      }
      names.set(parsed.name, index);
      cases.push(parsed);
    });
  }
  if (problems.length > 0) throw invalidTestFile(path, problems);
  return {
    flow: raw.flow as string,
    ...(typeof raw.description === 'string' && { description: raw.description }),
    iterations: iterations as number,
    collections,
    ...(typeof raw.skip === 'string' && { skip: raw.skip }),
    cases,
  };
}
