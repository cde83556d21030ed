/** Public shapes of the publishing API (docs/publishing.md), shared by the runtime and the editor, and its rules. */

import type { FlowFile } from './flow.js';
import type { ParamSpec, SpecLookup } from './node-spec.js';
import { findParam } from './ports.js';

/** How a published version may be called: stored with the version, so a rollback restores it too. */
export interface PublishSettings {
  /** Browser origins allowed to call the endpoint (`https://example.com`); `*` allows any. Empty: none. */
  allowedOrigins: string[];
  /** A run of this version is cancelled after this many ms (RUN_TIMEOUT). */
  timeoutMs: number;
  /** Params callers may override besides those the catalog marks `overridable`, as `nodeId.param`. */
  overridable: string[];
}

/**
 * The param an entry of `settings.overridable` (`nodeId.param`) names in a flow, or undefined when it names none. A
 * param of kind `flow` is never overridable: which flows a published version calls is frozen with it.
 */
export function overridableParam(flow: FlowFile, path: string, lookup: SpecLookup): ParamSpec | undefined {
  const [nodeId, name] = path.split('.', 2) as [string, string | undefined];
  const node = flow.nodes.find((n) => n.id === nodeId);
  const spec = node && lookup(node.type);
  return spec && name ? findParam(spec, name) : undefined;
}

/** A published version without its flow (version lists). */
export interface PublishedSummary {
  flowId: string;
  version: number;
  /** The draft version it froze. */
  flowVersion: number | null;
  /** Set when this version republished an older published one (rollback). */
  rollbackOf: number | null;
  note: string | null;
  settings: PublishSettings;
  publishedAt: string;
}

/**
 * A flow a published version calls (through a param of kind `flow`, directly or through another called flow),
 * frozen with it: published runs resolve calls of it to this frozen copy, never to the draft.
 */
export interface BundledFlow {
  flowId: string;
  /** The draft version that was frozen. */
  flowVersion: number;
}

/** An API key as listed: never the secret or its hash. */
/** What an API key is for: a server (`secret`) or a web page (`browser`). */
export type ApiKeyKind = 'secret' | 'browser';

export interface ApiKey {
  id: string;
  name: string;
  /** Flow ids the key may call; empty = every published flow. */
  flows: string[];
  /** Requests per minute for this key; null = the runtime default. */
  rateLimit: number | null;
  /**
   * `secret`: for servers, kept secret. `browser`: meant to be seen in a web page (the chat widget): it runs only its
   * one flow (`flows`), only from a browser on one of its `origins`. Keys made before kinds existed are `secret`.
   */
  kind: ApiKeyKind;
  /** The browser origins a browser key works from (`https://shop.example`); empty for secret keys. */
  origins: string[];
  /** The first characters of the secret, to recognise it (`flk_3fa2c9d01b7e_…`, `flk_pub_3fa2c9d01b7e_…`). */
  preview: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
