import type { AnyNodeDefinition } from './define.js';
import { ingest } from './kinds/ingest.js';
import { input } from './kinds/input.js';
import { llm } from './kinds/llm.js';
import { output } from './kinds/output.js';
import { prompt } from './kinds/prompt.js';
import { retriever } from './kinds/retriever.js';
import { toolRetriever } from './kinds/tool-retriever.js';
import type { NodeSpec } from './spec/index.js';

/** Every built-in kind. Order is the palette order within a category. */
export const BUILTIN_KINDS: readonly AnyNodeDefinition[] = [input, output, prompt, llm, retriever, ingest, toolRetriever];

/** Node kinds by type. Registering a type twice throws. */
export class NodeRegistry {
  readonly #kinds = new Map<string, AnyNodeDefinition>();

  constructor(kinds: readonly AnyNodeDefinition[] = BUILTIN_KINDS) {
    for (const kind of kinds) this.register(kind);
  }

  register(kind: AnyNodeDefinition): void {
    if (this.#kinds.has(kind.spec.type)) throw new Error(`node kind "${kind.spec.type}" is registered twice`);
    this.#kinds.set(kind.spec.type, kind);
  }

  get(type: string): AnyNodeDefinition | undefined {
    return this.#kinds.get(type);
  }

  /** The catalog (CONTRACTS §2): every spec, as served at `GET /api/nodes`. */
  catalog(): NodeSpec[] {
    return [...this.#kinds.values()].map((kind) => kind.spec);
  }

  /** Specs by type, for the validator. */
  specs(): Map<string, NodeSpec> {
    return new Map([...this.#kinds].map(([type, kind]) => [type, kind.spec]));
  }
}
