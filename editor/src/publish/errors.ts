import { HttpError } from '../api/http';

/** The publish form's fields an API error can point at. */
export type PublishField = 'note' | 'origins' | 'timeout';

/** An error of the publish API as the dialog shows it: what went wrong, per field, and the flow's problems. */
export interface PublishErrorView {
  message: string;
  fields: Partial<Record<PublishField, string[]>>;
  /** The draft's validation problems that block publishing, one line each. */
  problems: string[];
}

const FIELD_OF: [prefix: string, field: PublishField][] = [
  ['body.settings.allowedOrigins', 'origins'],
  ['body.settings.timeoutMs', 'timeout'],
  ['body.note', 'note'],
];

/**
 * Turns a publish API error into the dialog's view: request validation details go to their form field (a bad
 * origin is named, not its index and pattern), a flow's problems (`FLOW_INVALID` details) are listed.
 */
export function describePublishError(err: unknown, sentOrigins: readonly string[]): PublishErrorView {
  if (!(err instanceof HttpError))
    return { message: err instanceof Error ? err.message : String(err), fields: {}, problems: [] };
  const details = Array.isArray(err.body.details) ? (err.body.details as Record<string, unknown>[]) : [];
  if (err.body.code === 'FLOW_INVALID') {
    const problems = details.map((d) =>
      typeof d.nodeId === 'string' ? `${d.nodeId}: ${String(d.message)}` : String(d.message ?? ''),
    );
    return { message: 'Fix the draft’s problems before publishing:', fields: {}, problems };
  }
  const fields: PublishErrorView['fields'] = {};
  const rest: string[] = [];
  for (const detail of details) {
    const path = typeof detail.field === 'string' ? detail.field : '';
    const field = FIELD_OF.find(([prefix]) => path.startsWith(prefix))?.[1];
    if (!field) {
      rest.push(`${path} ${String(detail.message ?? '')}`.trim());
      continue;
    }
    const index = Number(path.split('.')[3]);
    const text =
      field === 'origins' && Number.isInteger(index)
        ? `“${sentOrigins[index] ?? ''}” is not an origin`
        : String(detail.message ?? 'is not valid');
    if (!fields[field]?.includes(text)) fields[field] = [...(fields[field] ?? []), text];
  }
  const isAllPlaced = rest.length === 0 && details.length > 0;
  const message = isAllPlaced ? 'Check the marked fields.' : rest.length > 0 ? rest.join('; ') : err.message;
  return { message, fields, problems: [] };
}
