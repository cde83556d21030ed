import type { FlowInputSpec } from '@flowloom/nodes/spec';

/** A sample value for an input, from its default or its data type. */
export function sampleValue(input: FlowInputSpec): unknown {
  if (input.default !== undefined) return input.default;
  switch (input.dataType) {
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'json':
      return {};
    case 'messages':
      return [{ role: 'user', content: 'Hello!' }];
    case 'documents':
      return [{ id: 'doc-1', text: 'Some text.', metadata: {} }];
    default:
      return input.name === 'question' || input.name === 'message' ? 'What can you do?' : `your ${input.name}`;
  }
}

/** The `inputs` object of a request: every required input, and optional ones with their sample values. */
export function sampleInputs(inputs: readonly FlowInputSpec[]): Record<string, unknown> {
  return Object.fromEntries(inputs.map((input) => [input.name, sampleValue(input)]));
}

export interface SnippetOptions {
  /** The runtime's origin, e.g. `https://flows.example.com`. */
  origin: string;
  flowId: string;
  inputs: readonly FlowInputSpec[];
  /** A key to show; a placeholder when not given. */
  apiKey?: string;
}

function indent(text: string, spaces: number): string {
  return text.replaceAll('\n', `\n${' '.repeat(spaces)}`);
}

/** `curl` for the published run endpoint. */
export function curlSnippet({ origin, flowId, inputs, apiKey }: SnippetOptions): string {
  const body = JSON.stringify({ inputs: sampleInputs(inputs) });
  return [
    `curl ${origin}/api/v1/flows/${flowId}/run \\`,
    `  -H "Authorization: Bearer ${apiKey ?? '$FLOWLOOM_API_KEY'}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '${body.replaceAll("'", "'\\''")}'`,
  ].join('\n');
}

/** JavaScript (fetch) for the published run endpoint. */
export function javascriptSnippet({ origin, flowId, inputs, apiKey }: SnippetOptions): string {
  const body = indent(JSON.stringify({ inputs: sampleInputs(inputs) }, null, 2), 2);
  return [
    `const response = await fetch('${origin}/api/v1/flows/${flowId}/run', {`,
    `  method: 'POST',`,
    `  headers: {`,
    `    Authorization: \`Bearer \${${apiKey ? `'${apiKey}'` : 'process.env.FLOWLOOM_API_KEY'}}\`,`,
    `    'Content-Type': 'application/json',`,
    `  },`,
    `  body: JSON.stringify(${body}),`,
    `});`,
    `const run = await response.json();`,
    `console.log(run.status, run.outputs);`,
  ].join('\n');
}

function pythonLiteral(value: unknown, depth = 0): string {
  const pad = '    '.repeat(depth + 1);
  const end = '    '.repeat(depth);
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${pad}${pythonLiteral(v, depth + 1)}`).join(',\n')},\n${end}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${pythonLiteral(v, depth + 1)}`).join(',\n')},\n${end}}`;
}

/** Python (requests) for the published run endpoint. */
export function pythonSnippet({ origin, flowId, inputs, apiKey }: SnippetOptions): string {
  return [
    'import os',
    'import requests',
    '',
    'response = requests.post(',
    `    "${origin}/api/v1/flows/${flowId}/run",`,
    `    headers={"Authorization": f"Bearer {${apiKey ? JSON.stringify(apiKey) : 'os.environ["FLOWLOOM_API_KEY"]'}}"},`,
    `    json=${pythonLiteral({ inputs: sampleInputs(inputs) }, 1)},`,
    '    timeout=120,',
    ')',
    'run = response.json()',
    'print(run["status"], run["outputs"])',
  ].join('\n');
}

/** Python with the official `openai` package, for chat flows (`model` = flow id). */
export function openaiSnippet({ origin, flowId, apiKey }: SnippetOptions): string {
  return [
    'import os',
    'from openai import OpenAI',
    '',
    `client = OpenAI(base_url="${origin}/api/v1", api_key=${apiKey ? JSON.stringify(apiKey) : 'os.environ["FLOWLOOM_API_KEY"]'})`,
    'stream = client.chat.completions.create(',
    `    model="${flowId}",`,
    '    messages=[{"role": "user", "content": "What can you do?"}],',
    '    stream=True,',
    ')',
    'for chunk in stream:',
    '    print(chunk.choices[0].delta.content or "", end="")',
  ].join('\n');
}

/**
 * The embed code of the chat widget. It runs in visitors' browsers, where anyone can read it: its key is a browser
 * key (`flk_pub_…`, one flow, its origins only), never a secret one.
 */
export function widgetSnippet({ origin, flowId, apiKey }: SnippetOptions): string {
  return `<script src="${origin}/widget.js" data-flow="${flowId}" data-key="${apiKey ?? 'flk_pub_YOUR_BROWSER_KEY'}"></script>`;
}
