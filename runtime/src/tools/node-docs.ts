import type { NodeSpec, ParamSpec, PortSpec } from '@flowloom/nodes';
import { blockMarkers } from './doc-blocks.js';

const { start: CATALOG_START, end: CATALOG_END } = blockMarkers('catalog', 'the catalog');

const CATEGORY_TITLES: Record<string, string> = {
  io: 'Inputs and outputs',
  prompts: 'Prompts',
  models: 'Models',
  retrieval: 'Retrieval',
  tools: 'Tools',
  logic: 'Logic',
  data: 'Data',
  flows: 'Flows',
};

function cell(text: string | undefined): string {
  return (text ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function portRow(port: PortSpec): string {
  const flags = [
    port.required && 'required',
    port.multiple && 'several edges',
    port.dataTypeFromParam && `type from \`${port.dataTypeFromParam}\``,
  ]
    .filter(Boolean)
    .join(', ');
  return `| \`${port.name}\` | ${port.dataType} | ${flags} | ${cell(port.description)} |`;
}

function bounds(param: ParamSpec): string {
  const parts: string[] = [];
  if (param.kind === 'number') {
    if (param.min !== undefined) parts.push(`min ${param.min}`);
    if (param.max !== undefined) parts.push(`max ${param.max}`);
    if (param.integer) parts.push('integer');
  }
  if (param.kind === 'select') parts.push(param.options.map((o) => `\`${o}\``).join(', '));
  if (param.required) parts.push('required');
  if (param.overridable) parts.push('overridable');
  if (param.showIf) parts.push(`when \`${param.showIf.param}\` = \`${JSON.stringify(param.showIf.equals)}\``);
  return parts.join('; ');
}

function paramRow(param: ParamSpec): string {
  const value = param.default === undefined || param.default === '' ? '' : `\`${cell(JSON.stringify(param.default))}\``;
  return `| \`${param.name}\` | ${param.kind} | ${value} | ${cell(bounds(param))} | ${cell(param.description)} |`;
}

function renderKind(spec: NodeSpec): string {
  const lines = [`#### \`${spec.type}\`: ${spec.title}`, '', spec.description, ''];
  const notes: string[] = [];
  if (spec.dynamicInputs) {
    const d = spec.dynamicInputs;
    notes.push(
      d.source === 'template'
        ? `One ${d.dataType} input per \`{{variable}}\` in \`${d.fromParam}\`.`
        : `One ${d.dataType} input per name listed in \`${d.fromParam}\`.`,
    );
  }
  if (spec.dynamicOutputs)
    notes.push(`One ${spec.dynamicOutputs.dataType} output per name listed in \`${spec.dynamicOutputs.fromParam}\`.`);
  if (spec.branching) notes.push('Branching: outputs left empty skip the nodes they feed.');
  if (spec.streams) notes.push('Streams text as it is generated.');
  if (spec.version > 1)
    notes.push(`Version ${spec.version}: nodes saved by an older version are migrated when loaded.`);
  if (spec.defaults && Object.keys(spec.defaults).length > 0) {
    notes.push(
      `Engine defaults: ${Object.entries(spec.defaults)
        .map(([k, v]) => `\`${k}\` ${v}`)
        .join(', ')}.`,
    );
  }
  if (notes.length > 0) lines.push(notes.join(' '), '');
  if (spec.inputs.length > 0) {
    lines.push('| input | type | | description |', '|---|---|---|---|', ...spec.inputs.map(portRow), '');
  }
  if (spec.outputs.length > 0) {
    lines.push('| output | type | | description |', '|---|---|---|---|', ...spec.outputs.map(portRow), '');
  }
  if (spec.params.length > 0) {
    lines.push(
      '| param | kind | default | bounds | description |',
      '|---|---|---|---|---|',
      ...spec.params.map(paramRow),
      '',
    );
  }
  return lines.join('\n');
}

/** The generated reference: every kind of the catalog, grouped by category, in palette order. */
export function renderCatalog(specs: readonly NodeSpec[]): string {
  const out = [CATALOG_START, '', '## Reference', ''];
  for (const [category, title] of Object.entries(CATEGORY_TITLES)) {
    const kinds = specs.filter((s) => s.category === category);
    if (kinds.length === 0) continue;
    out.push(`### ${title}`, '', ...kinds.map(renderKind));
  }
  out.push(CATALOG_END);
  return out.join('\n');
}

/** Puts the generated reference into a document, replacing an earlier one or appending it. */
export function withCatalog(document: string, specs: readonly NodeSpec[]): string {
  const block = renderCatalog(specs);
  const start = document.indexOf(CATALOG_START);
  const end = document.indexOf(CATALOG_END);
  if (start >= 0 && end > start) return document.slice(0, start) + block + document.slice(end + CATALOG_END.length);
  return `${document.trimEnd()}\n\n${block}\n`;
}

/**
 * The params callers of a published endpoint may override without the version listing them: those the catalog
 * marks `overridable`, per kind (docs/publishing.md, overrides).
 */
export function renderOverridable(specs: readonly NodeSpec[]): string {
  const rows = specs
    .map((spec) => ({ type: spec.type, params: spec.params.filter((param) => param.overridable) }))
    .filter((row) => row.params.length > 0)
    .map((row) => `| \`${row.type}\` | ${row.params.map((param) => `\`${param.name}\``).join(', ')} |`);
  return ['| kind | params callers may override |', '|---|---|', ...rows].join('\n');
}
