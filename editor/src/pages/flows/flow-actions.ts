import type { Problem } from '@flowloom/nodes/spec';
import { FLOW_FORMAT, type FlowFile, serializeFlow } from '@flowloom/nodes/spec';
import { download } from '../../api/actions';
import { api, type FlowSummary, HttpError } from '../../api/http';
import { isFlowLike, slugify } from '../../store/graph-ops';
import { useEditor } from '../../store/index';

/** A dialog about one flow of the list; `onDone` closes it and reloads the list. */
export interface FlowDialogProps {
  flow: FlowSummary;
  onClose: () => void;
  onDone: () => void;
}

export function toast(kind: 'info' | 'error' | 'success', message: string) {
  useEditor.getState().toast(kind, message);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A free flow id from a name: the slug, or the slug with -2, -3… */
export function freeFlowId(name: string, taken: ReadonlySet<string>): string {
  const base = slugify(name) || 'flow';
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    const id = `${base.slice(0, 58)}-${i}`;
    if (!taken.has(id)) return id;
  }
}

/** Stores a copy of a flow under a free id; returns the copy's name. */
export async function duplicateFlow(summary: FlowSummary, taken: ReadonlySet<string>): Promise<string> {
  const flow = await api.flow(summary.id);
  const name = `${flow.name} (copy)`;
  const copy: FlowFile = { ...flow, id: freeFlowId(name, taken), name };
  delete copy.version;
  await api.createFlow(copy);
  return name;
}

export async function exportFlow(summary: FlowSummary): Promise<void> {
  download(`${summary.id}.flow.json`, serializeFlow(await api.flow(summary.id)));
}

/** What importing a file came to: the flow stored, or the problems that kept it out (then nothing is stored). */
/** A problem of an imported file: a flow problem, or just a message when the file is not a flow at all. */
export type ImportProblem = Partial<Problem> & { message: string };

export type ImportOutcome = { flow: FlowFile } | { problems: ImportProblem[] };

/** Imports a `.flow.json` under a free id, validated first (`POST /api/validate`). */
export async function importFlowFile(file: File, taken: ReadonlySet<string>): Promise<ImportOutcome> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await file.text());
  } catch (err) {
    return { problems: [{ message: `Not JSON: ${errorMessage(err)}` }] };
  }
  if (!isFlowLike(parsed)) {
    return {
      problems: [{ message: `Not a flow file: "format" must be "${FLOW_FORMAT}", with "nodes" and "edges" arrays.` }],
    };
  }
  const flow: FlowFile = { ...parsed };
  delete flow.version;
  if (!flow.id || taken.has(flow.id)) flow.id = freeFlowId(flow.name || file.name.replace(/\..*$/, ''), taken);
  try {
    const result = await api.validate(flow);
    if (!result.ok) return { problems: result.problems };
    await api.createFlow(flow);
    return { flow };
  } catch (err) {
    const details = err instanceof HttpError ? (err.body.details as ImportProblem[] | undefined) : undefined;
    return {
      problems: details?.length
        ? details.map((d) => ({ ...d, message: d.message ?? String(d) }))
        : [{ message: errorMessage(err) }],
    };
  }
}
