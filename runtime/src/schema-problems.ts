// Turns JSON Schema validation issues (TypeBox's, Ajv's) into field problems: used by the HTTP error handler and by
// the socket.io payload checks, so it stands below both.

/** One problem in a request, naming the field at fault (`body.nodes.0.position.x`). */
export interface FieldProblem {
  field: string;
  message: string;
}

export interface SchemaIssue {
  instancePath?: string;
  schemaPath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** What one alternative of a union wants, as a phrase after "must be": `"running"`, `string`, `>= 1`. */
function wanted(issue: SchemaIssue): string | undefined {
  const params = issue.params ?? {};
  if (issue.keyword === 'const') return JSON.stringify(params.allowedValue);
  if (issue.keyword === 'type' && typeof params.type === 'string') return params.type;
  return issue.message?.startsWith('must be ') ? issue.message.slice('must be '.length) : undefined;
}

/**
 * One issue per union that failed, saying what it takes ("must be one of "running", "completed"", "must be >= 1 or
 * null"), instead of one issue per alternative plus "must match a schema in anyOf". A lone `const` names its value.
 */
function mergeUnions(issues: readonly SchemaIssue[]): SchemaIssue[] {
  const merged = new Map<SchemaIssue, SchemaIssue | null>();
  for (const union of issues) {
    if (union.keyword !== 'anyOf' || union.schemaPath === undefined) continue;
    const prefix = `${union.schemaPath}/anyOf/`;
    const branches = issues.filter(
      (issue) => issue.instancePath === union.instancePath && issue.schemaPath?.startsWith(prefix),
    );
    // An alternative that took the value's type but failed inside it is what the caller meant: its deeper issues
    // say what is wrong, and the other alternatives ("must be string or null") would only mislead.
    const inside = `${union.instancePath ?? ''}/`;
    const isDeeper = issues.some(
      (issue) => issue.schemaPath?.startsWith(prefix) && issue.instancePath?.startsWith(inside) === true,
    );
    if (isDeeper) {
      for (const issue of [union, ...branches]) merged.set(issue, null);
      continue;
    }
    const phrases = branches.map(wanted);
    if (branches.length === 0 || phrases.some((phrase) => phrase === undefined)) continue;
    const isEnum = branches.every((branch) => branch.keyword === 'const');
    const message = isEnum ? `must be one of ${phrases.join(', ')}` : `must be ${[...new Set(phrases)].join(' or ')}`;
    // The first branch's place in the list takes the merged issue; the rest of the union goes.
    merged.set(branches[0] as SchemaIssue, { instancePath: union.instancePath, keyword: 'anyOf', message });
    for (const issue of [union, ...branches.slice(1)]) merged.set(issue, null);
  }
  const out: SchemaIssue[] = [];
  for (const issue of issues) {
    const replacement = merged.get(issue);
    if (replacement === null) continue;
    if (replacement) out.push(replacement);
    else if (issue.keyword === 'const') out.push({ ...issue, message: `must be ${wanted(issue)}` });
    else out.push(issue);
  }
  return out;
}

function fieldName(context: string, pointer: string): string {
  const path = pointer
    .split('/')
    .filter((part) => part !== '')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  return [context, ...path].join('.');
}

/** Turns Fastify (TypeBox or Ajv) validation issues into one problem per field. */
export function validationProblems(context: string, issues: readonly SchemaIssue[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  for (const issue of mergeUnions(issues)) {
    const at = issue.instancePath ?? '';
    const params = issue.params ?? {};
    let entries: FieldProblem[];
    if (issue.keyword === 'required') {
      const names = (params.requiredProperties ?? [params.missingProperty]) as unknown[];
      entries = names.map((name) => ({ field: fieldName(context, `${at}/${String(name)}`), message: 'is required' }));
    } else if (issue.keyword === 'additionalProperties') {
      const names = (params.additionalProperties ?? [params.additionalProperty]) as unknown[];
      entries = names.map((name) => ({
        field: fieldName(context, `${at}/${String(name)}`),
        message: 'is not an allowed field',
      }));
    } else if (issue.keyword === 'boolean' && issue.message === 'schema is false') {
      entries = [{ field: fieldName(context, at), message: 'is not an allowed field' }];
    } else {
      entries = [{ field: fieldName(context, at), message: issue.message ?? 'is invalid' }];
    }
    for (const entry of entries) {
      const key = `${entry.field}\0${entry.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push(entry);
    }
  }
  return problems;
}
