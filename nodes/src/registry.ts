import type { AnyNodeDefinition } from './define.js';
import { approval } from './kinds/approval.js';
import { code } from './kinds/code.js';
import { condition } from './kinds/condition.js';
import { functionCall } from './kinds/function-call.js';
import { http } from './kinds/http.js';
import { ingest } from './kinds/ingest.js';
import { input } from './kinds/input.js';
import { json } from './kinds/json.js';
import { llm } from './kinds/llm.js';
import { map } from './kinds/map.js';
import { memory } from './kinds/memory.js';
import { output } from './kinds/output.js';
import { prompt } from './kinds/prompt.js';
import { retriever } from './kinds/retriever.js';
import { router } from './kinds/router.js';
import { subflow } from './kinds/subflow.js';
import { text } from './kinds/text.js';
import { toolCode } from './kinds/tool-code.js';
import { toolFlow } from './kinds/tool-flow.js';
import { toolHttp } from './kinds/tool-http.js';
import { toolRetriever } from './kinds/tool-retriever.js';
import type { NodeSpec, SpecLookup } from './spec/index.js';

/** Every built-in kind. Order is the palette order within a category. */
export const BUILTIN_KINDS: readonly AnyNodeDefinition[] = [
  input,
  output,
  prompt,
  llm,
  retriever,
  ingest,
  toolRetriever,
  functionCall,
  toolCode,
  toolHttp,
  toolFlow,
  condition,
  router,
  approval,
  map,
  subflow,
  code,
  http,
  json,
  text,
  memory,
];

/** Node kinds by type. Registering a type twice throws. */
export class NodeRegistry {
  readonly #kinds = new Map<string, AnyNodeDefinition>();
  /** A kind's spec by type, for the flow model functions of `spec/` (bound: pass it around as is). */
  readonly lookup: SpecLookup = (type) => this.#kinds.get(type)?.spec;

  constructor(kinds: readonly AnyNodeDefinition[] = BUILTIN_KINDS) {
    for (const kind of kinds) this.register(kind);
  }

  register(kind: AnyNodeDefinition): void {
    const { type, version } = kind.spec;
    if (this.#kinds.has(type)) throw new Error(`node kind "${type}" is registered twice`);
    if (!Number.isInteger(version) || version < 1) throw new Error(`node kind "${type}" has version ${version}`);
    for (const to of Object.keys(kind.migrations ?? {})) {
      const n = Number(to);
      if (!Number.isInteger(n) || n < 2 || n > version) {
        throw new Error(`node kind "${type}" (version ${version}) has a migration to version ${to}`);
      }
    }
    this.#kinds.set(kind.spec.type, kind);
  }

  get(type: string): AnyNodeDefinition | undefined {
    return this.#kinds.get(type);
  }

  /** The catalog (docs/contracts.md §2): every spec, as served at `GET /api/nodes`. */
  catalog(): NodeSpec[] {
    return [...this.#kinds.values()].map((kind) => kind.spec);
  }

  /** Specs by type, for the validator. */
  specs(): Map<string, NodeSpec> {
    return new Map([...this.#kinds].map(([type, kind]) => [type, kind.spec]));
  }
}
