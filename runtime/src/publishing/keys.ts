import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ApiKey, type ApiKeyKind, AppError } from '@flowloom/nodes';
import type { KeyRow } from '../store/keys.js';
import type { KeyTable } from '../store/types.js';

export type { ApiKey };

/** Every secret starts with this, so leaked keys are easy to recognise (and to scan for). */
export const KEY_PREFIX = 'flk_';
/** Browser keys add `pub_`: one look tells a key meant for web pages from a secret one. */
export const BROWSER_KEY_PREFIX = 'flk_pub_';
/** A key id: 12 hex digits, public (shown in lists, part of the secret). */
const ID_PATTERN = /^[0-9a-f]{12}$/;
/**
 * `flk_<id>_<secret>` (browser keys `flk_pub_<id>_<secret>`): the id finds the row in O(1), the secret (32 random
 * bytes, base64url) proves possession. The row, not the prefix, says what kind a key is.
 */
const KEY_PATTERN = /^flk_(?:pub_)?([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** The one answer that holds the secret: right after creation. */
export interface CreatedKey extends ApiKey {
  key: string;
}

export interface CreateKeyInput {
  name: string;
  flows?: string[];
  rateLimit?: number | null;
  kind?: ApiKeyKind;
  origins?: string[];
}

/** A key row as checks use it; `secret` is the last secret that matched its hash (compared in constant time). */
interface CachedKey {
  row: KeyRow;
  key: ApiKey;
  secret?: Buffer;
}

/** Why a presented key was refused (the HTTP layer maps these to 401/403). */
export type KeyCheck =
  | { ok: true; key: ApiKey }
  | { ok: false; reason: 'missing' | 'malformed' | 'unknown' | 'revoked' | 'out-of-scope' }
  /** A browser key presented without an Origin, or from a page on none of its origins (listed for the answer). */
  | { ok: false; reason: 'origin'; origins: readonly string[] };

const prefixOf = (kind: ApiKeyKind) => (kind === 'browser' ? BROWSER_KEY_PREFIX : KEY_PREFIX);

/** The origin a browser would send for a page at `url` (`new URL(url).origin`); undefined when it is no URL. */
function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) return undefined;
    return parsed.origin === 'null' ? undefined : parsed.origin;
  } catch {
    return undefined;
  }
}

/**
 * The rules of a key's kind, checked before anything is stored: a browser key names exactly one flow and at least
 * one origin (it will be seen by anyone who opens the page, so it must not reach further); a secret key takes no
 * origins. Throws VALIDATION_FAILED naming the field.
 */
function checkKind(kind: ApiKeyKind, flows: readonly string[], origins: readonly string[]): void {
  const details: { field: string; message: string }[] = [];
  if (kind === 'browser') {
    if (flows.length !== 1)
      details.push({ field: 'body.flows', message: 'a browser key runs exactly one flow: name it (one flow id)' });
    if (origins.length === 0)
      details.push({ field: 'body.origins', message: 'a browser key needs the origins of the pages that use it' });
    if (origins.includes('*'))
      details.push({ field: 'body.origins', message: 'a browser key takes exact origins, not *' });
    origins.forEach((typed, i) => {
      const origin = originOf(typed);
      if (origin !== typed && typed !== '*')
        details.push({
          field: `body.origins.${i}`,
          message: origin
            ? `a browser sends its origin as "${origin}" (lowercase host, no default port, no user or path): write that`
            : `"${typed}" is not an origin (scheme://host[:port])`,
        });
    });
  } else if (origins.length > 0) {
    details.push({ field: 'body.origins', message: 'only browser keys (kind "browser") take origins' });
  }
  if (details.length > 0)
    throw new AppError('VALIDATION_FAILED', details.map((d) => `${d.field} ${d.message}`).join('; '), { details });
}

/**
 * The secret is 256 random bits, so a salted SHA-256 is enough (no brute force of the input space is possible;
 * slow hashes such as scrypt protect low-entropy passwords, and would cost ~50 ms per request here).
 */
function hashSecret(salt: Buffer, secret: string): Buffer {
  return createHash('sha256').update(salt).update(secret).digest();
}

function toKey(row: KeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    flows: JSON.parse(row.flows) as string[],
    rateLimit: row.rateLimit,
    kind: row.kind,
    origins: JSON.parse(row.origins) as string[],
    preview: `${prefixOf(row.kind)}${row.id}_…`,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

/**
 * How often cached key rows are checked against changes by other connections (another server on the same data
 * folder revoking a key): such a revocation applies within this time; one made here applies at once.
 */
const VERSION_CHECK_MS = 20;

/** How often last-used times are written (one transaction for every key used meanwhile). */
const LAST_USED_FLUSH_MS = 5_000;

/**
 * API keys for published endpoints, in the `api_keys` table. Secrets are shown once and stored only as
 * `sha256(salt ‖ secret)` with a per-key random salt; verification finds the row by the key's public id (primary
 * key) and compares hashes in constant time. Revocation is a column, read on every check, so it applies at once.
 * Last-used times are kept in memory and written in batches.
 */
export class KeyService {
  readonly #table: KeyTable;
  readonly #onFlushError: (err: unknown) => void;
  readonly #lastUsed = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  /**
   * Rows of keys presented lately, so a check costs no query. Dropped on every change made here, and when the keys'
   * revision (the store's change token, looked at every VERSION_CHECK_MS) moved: another process on the same store
   * may have revoked a key.
   */
  readonly #cache = new Map<string, CachedKey>();
  #cacheVersion = -1;
  readonly #revokeListeners = new Set<(id: string) => void>();
  #versionCheckedAt = Number.NEGATIVE_INFINITY;
  /** The origins of the live browser keys, by flow id: CORS answers need them before any key is presented. */
  #browserOrigins: Map<string, string[]> | null = null;

  /** `onFlushError` hears of a background write of last-used times that failed (they stay pending). */
  constructor(table: KeyTable, options: { onFlushError?: (err: unknown) => void } = {}) {
    this.#table = table;
    this.#onFlushError = options.onFlushError ?? (() => {});
  }

  async create(input: CreateKeyInput): Promise<CreatedKey> {
    let id = randomBytes(6).toString('hex');
    while (await this.#table.get(id)) id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const salt = randomBytes(16);
    const createdAt = new Date().toISOString();
    const flows = [...new Set(input.flows ?? [])].sort();
    const kind = input.kind ?? 'secret';
    // Checked as typed (each origin exactly as a browser sends it: `body.origins.N` names the one that is not).
    checkKind(kind, flows, input.origins ?? []);
    const origins = [...new Set(input.origins ?? [])];
    await this.#table.insert({
      id,
      name: input.name,
      flows: JSON.stringify(flows),
      rateLimit: input.rateLimit ?? null,
      kind,
      origins: JSON.stringify(origins),
      salt,
      hash: hashSecret(salt, secret),
      createdAt,
    });
    const key = toKey((await this.#table.get(id)) as KeyRow);
    this.#browserOrigins = null;
    return { ...key, key: `${prefixOf(kind)}${id}_${secret}` };
  }

  async list(): Promise<ApiKey[]> {
    return (await this.#table.list()).map((row) => this.#withPendingUse(toKey(row)));
  }

  async get(id: string): Promise<ApiKey | undefined> {
    const row = ID_PATTERN.test(id) ? await this.#table.get(id) : undefined;
    return row && this.#withPendingUse(toKey(row));
  }

  /** Revokes a key at once. Throws KEY_NOT_FOUND; revoking twice keeps the first time. */
  async revoke(id: string): Promise<ApiKey> {
    const existing = await this.get(id);
    if (!existing) throw new AppError('KEY_NOT_FOUND', `API key "${id}" does not exist`);
    await this.#table.revoke(id, new Date().toISOString());
    this.#cache.clear();
    this.#browserOrigins = null;
    for (const listener of this.#revokeListeners) listener(id);
    return (await this.get(id)) as ApiKey;
  }

  /** Called with the id of every key revoked through this service (the api role tells the other processes). */
  onRevoke(listener: (id: string) => void): void {
    this.#revokeListeners.add(listener);
  }

  /**
   * Forgets every cached key row and the browser keys' origins: the next check reads the store (a key was revoked by
   * another process).
   */
  invalidate(): void {
    this.#cache.clear();
    this.#browserOrigins = null;
    this.#versionCheckedAt = Number.NEGATIVE_INFINITY;
  }

  /**
   * Checks a presented secret, and its scope when `flowId` is given, and for a browser key the request's `origin` (it
   * works only from a page on one of its origins). Records the use (batched) only when all of that passes.
   * Malformed, unknown and wrong secrets are told apart only in the returned reason, never to the caller.
   */
  async verify(presented: string | undefined, flowId?: string, origin?: string): Promise<KeyCheck> {
    if (!presented) return { ok: false, reason: 'missing' };
    const match = KEY_PATTERN.exec(presented);
    if (!match) return { ok: false, reason: 'malformed' };
    const [, id, secret] = match as unknown as [string, string, string];
    // A key checked lately answers from memory, without waiting for anything.
    const found = this.#isVersionCheckDue() ? undefined : this.#cache.get(id);
    return this.#check(found ?? (await this.#cached(id)), secret, id, flowId, origin);
  }

  #check(
    found: CachedKey | undefined,
    secret: string,
    id: string,
    flowId: string | undefined,
    origin: string | undefined,
  ): KeyCheck {
    if (!found) return { ok: false, reason: 'unknown' };
    const { row, key } = found;
    // A secret that matched before is compared as is (hashing costs more than the rest of the check); any other is
    // hashed. Both comparisons take constant time.
    const presentedSecret = Buffer.from(secret);
    if (!found.secret || !timingSafeEqual(presentedSecret, found.secret)) {
      const hash = hashSecret(row.salt, secret);
      if (hash.length !== row.hash.length || !timingSafeEqual(hash, row.hash)) return { ok: false, reason: 'unknown' };
      found.secret = presentedSecret;
    }
    if (row.revokedAt !== null) return { ok: false, reason: 'revoked' };
    if (flowId !== undefined && !isInScope(key, flowId)) return { ok: false, reason: 'out-of-scope' };
    // A browser key is seen by anyone who opens the page that holds it: it works only from a browser on its origins.
    // (A script may send any Origin header; the key's one flow and its rate limit bound what such a copy can do.)
    if (key.kind === 'browser' && (origin === undefined || !key.origins.includes(origin)))
      return { ok: false, reason: 'origin', origins: key.origins };
    this.#markUsed(id);
    return { ok: true, key };
  }

  #isVersionCheckDue(): boolean {
    return performance.now() - this.#versionCheckedAt >= VERSION_CHECK_MS;
  }

  /** Drops what is cached when another connection changed keys. */
  async #checkVersion(): Promise<void> {
    // Asking the database costs more than the rest of the check under write load: at most once per interval.
    if (!this.#isVersionCheckDue()) return;
    this.#versionCheckedAt = performance.now();
    const version = await this.#table.changeToken();
    if (version !== this.#cacheVersion) {
      this.#cache.clear();
      this.#browserOrigins = null;
      this.#cacheVersion = version;
    }
  }

  async #cached(id: string): Promise<CachedKey | undefined> {
    await this.#checkVersion();
    let found: CachedKey | undefined = this.#cache.get(id);
    if (!found) {
      const row = await this.#table.get(id);
      // Unknown ids are not cached: guessing ids must not grow memory.
      if (!row) return undefined;
      found = { row, key: Object.freeze(toKey(row)) as ApiKey };
      this.#cache.set(id, found);
    }
    return found;
  }

  /**
   * The origins that live (not revoked) browser keys of a flow work from, or of every flow when no flow is named: a
   * browser's preflight carries no key, yet must be answered for the pages those keys serve.
   */
  async browserOrigins(flowId?: string): Promise<string[]> {
    await this.#checkVersion();
    if (!this.#browserOrigins) {
      const byFlow = new Map<string, string[]>();
      for (const row of await this.#table.list()) {
        if (row.kind !== 'browser' || row.revokedAt !== null) continue;
        const origins = JSON.parse(row.origins) as string[];
        for (const flow of JSON.parse(row.flows) as string[])
          byFlow.set(flow, [...(byFlow.get(flow) ?? []), ...origins]);
      }
      this.#browserOrigins = byFlow;
    }
    if (flowId !== undefined) return this.#browserOrigins.get(flowId) ?? [];
    return [...new Set([...this.#browserOrigins.values()].flat())];
  }

  #withPendingUse(key: ApiKey): ApiKey {
    const pending = this.#lastUsed.get(key.id);
    return pending ? { ...key, lastUsedAt: pending } : key;
  }

  #markUsed(id: string): void {
    this.#lastUsed.set(id, new Date().toISOString());
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      // Thrown here it would be an uncaught exception (the server down); the times stay pending for the next flush.
      this.flush().catch(this.#onFlushError);
    }, LAST_USED_FLUSH_MS);
    this.#timer.unref();
  }

  /** Writes pending last-used times in one transaction (also called on close). */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#lastUsed.size === 0) return;
    const written = [...this.#lastUsed];
    if (!(await this.#table.touch(written))) return;
    // Only the times written are dropped: a key used again during the write keeps its newer time pending.
    for (const [id, at] of written) if (this.#lastUsed.get(id) === at) this.#lastUsed.delete(id);
    this.#cache.clear();
  }
}

/** True when the key may call the flow (an empty scope means every flow). */
export function isInScope(key: Pick<ApiKey, 'flows'>, flowId: string): boolean {
  return key.flows.length === 0 || key.flows.includes(flowId);
}
