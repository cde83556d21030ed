import type { DataType } from './values.js';

/** A node's input or output port, as the catalog describes it. */
export interface PortSpec {
  name: string;
  dataType: DataType;
  required?: boolean;
  /** An input that accepts several edges; its value is then the array of their values, in edge order. */
  multiple?: boolean;
  /** The port's data type is the value of this param (e.g. an `input` node's `dataType`). */
  dataTypeFromParam?: string;
  description?: string;
}

interface ParamBase {
  name: string;
  label?: string;
  required?: boolean;
  description?: string;
  /** Shown (and validated) only when another param has a given value. */
  showIf?: { param: string; equals: unknown };
  /**
   * Published endpoints may override this param per request. Ignored for `flow` params: which flow a published
   * version calls is frozen with it (docs/publishing.md), so they are never overridable.
   */
  overridable?: boolean;
}

/** A node parameter: data only, so the editor can build a form from it. */
export type ParamSpec = ParamBase &
  (
    | { kind: 'number'; default?: number; min?: number; max?: number; integer?: boolean }
    | { kind: 'boolean'; default?: boolean }
    | { kind: 'select'; options: readonly string[]; default?: string }
    | { kind: 'json'; default?: unknown; schema?: Record<string, unknown> }
    | {
        /**
         * `flow`: the id of a saved flow this node calls (subflow, map, tool-flow); a published version freezes it.
         * `provider`: the id of a model provider set in the settings (empty: the default provider).
         */
        kind: 'string' | 'text' | 'code' | 'template' | 'secret' | 'collection' | 'model' | 'flow' | 'provider';
        default?: string;
        /** For code params: the language, for highlighting. */
        language?: 'javascript' | 'json' | 'markdown';
        maxLength?: number;
      }
  );

export type ParamKind = ParamSpec['kind'];

export const NODE_CATEGORIES = ['io', 'prompts', 'models', 'retrieval', 'tools', 'logic', 'data', 'flows'] as const;
export type NodeCategory = (typeof NODE_CATEGORIES)[number];

/**
 * Input ports derived from a param, e.g. one text input per `{{variable}}` of a prompt template.
 * Data, not code: the editor and the validator derive the ports the same way with `resolvePorts`.
 */
export interface DynamicInputs {
  /** The param whose value defines the ports. */
  fromParam: string;
  /** `template`: one port per `{{variable}}`; `list`: one port per string of an array param. */
  source: 'template' | 'list';
  dataType: DataType;
  required: boolean;
}

/**
 * Output ports derived from a param, e.g. one output per route of a router. The mirror of `DynamicInputs`:
 * `list` takes one port per string of an array param, or per `name` of its objects.
 */
export interface DynamicOutputs {
  fromParam: string;
  source: 'list';
  dataType: DataType;
}

/** The catalog entry of one node kind (docs/contracts.md §2). Plain JSON. */
export interface NodeSpec {
  type: string;
  /**
   * The kind's version, from 1. Bumped when a param is renamed or its default changes, with a migration (the kind's
   * `migrations`) that rewrites nodes saved by the older version; saved nodes record it as `typeVersion`.
   */
  version: number;
  title: string;
  category: NodeCategory;
  description: string;
  /** Other words people search the palette with ("agent", "vector", "openai"): matched like the title. */
  keywords?: readonly string[];
  inputs: readonly PortSpec[];
  outputs: readonly PortSpec[];
  params: readonly ParamSpec[];
  dynamicInputs?: DynamicInputs;
  dynamicOutputs?: DynamicOutputs;
  /** Outputs only some of which carry a value on a run (branching): unset outputs skip what they feed. */
  branching?: boolean;
  /** The node streams text through `node.delta`. */
  streams?: boolean;
  /** `input`: the node's `value` is the run input named by its `name` param; `output`: its `value` is a run output. */
  flowIO?: 'input' | 'output';
  /** Per-node engine settings defaults. */
  defaults?: NodeSettings;
}

/** Finds a kind's spec by type: the registry's `lookup`, or one the editor builds from the catalog. */
export type SpecLookup = (type: string) => NodeSpec | undefined;

/** Per-node engine settings, stored on the flow node as `settings`. */
export interface NodeSettings {
  /** Abort the node after this many milliseconds (0 = no limit). */
  timeoutMs?: number;
  /** Extra attempts for retryable errors (429, 5xx, connection reset). */
  retries?: number;
  /** First backoff delay; doubles per attempt, with jitter. */
  retryBackoffMs?: number;
}
