import type { ChatOptions, ChatRequest, ChatResult, LlmService } from '@flowloom/nodes';
import type { SettingsTable } from '../store/types.js';
import { createLlmService } from './openai.js';
import { maskSecret, type Sealed, type SecretBox } from './secrets.js';

/** The provider settings as the API shows them: never the key in clear. */
export interface ProviderView {
  baseURL: string | null;
  apiKey: { isSet: boolean; preview: string | null };
  /** Where model calls get their provider: the environment wins over the settings. */
  source: 'env' | 'settings' | 'none';
  updatedAt: string | null;
}

interface Stored {
  baseURL: string | null;
  apiKey: Sealed | null;
  /** Kept only to show it masked without decrypting on every GET. */
  preview: string | null;
}

const NAME = 'provider';

/**
 * Provider credentials set in the editor (`PUT /api/settings/provider`), in the `settings` table with the API key
 * sealed by `SecretBox`. Used by model calls only when the environment configures no provider.
 */
export class ProviderSettings {
  readonly #table: SettingsTable;
  readonly #box: SecretBox;
  readonly #isEnvConfigured: boolean;
  readonly #checkEveryMs: number;
  #revision = 0;
  /** The stored row as last seen (`updatedAt` and value): a change made by another process shows as a new token. */
  #seen: string | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;

  /** `checkEveryMs`: how often a change made by another process is looked for (one row read), at most. */
  constructor(table: SettingsTable, box: SecretBox, isEnvConfigured: boolean, checkEveryMs = 1000) {
    this.#table = table;
    this.#box = box;
    this.#isEnvConfigured = isEnvConfigured;
    this.#checkEveryMs = checkEveryMs;
  }

  /**
   * Notices a change made by another process sharing the store (the api role, while this is a worker): at most once
   * per `checkEveryMs`, reads the row and bumps `revision` when it is not the one last seen.
   */
  async refresh(): Promise<void> {
    const now = performance.now();
    if (now - this.#checkedAt < this.#checkEveryMs) return;
    this.#checkedAt = now;
    const row = await this.#table.get(NAME);
    const token = row ? `${row.updatedAt}\n${row.value}` : '';
    if (this.#seen !== undefined && token !== this.#seen) this.#revision++;
    this.#seen = token;
  }

  /** Bumped at every change, so services built from the settings know when to rebuild. */
  get revision(): number {
    return this.#revision;
  }

  /** The box that seals keys, shared with the named providers. */
  get box(): SecretBox {
    return this.#box;
  }

  #isSetCache: { revision: number; isSet: boolean } | undefined;

  /** Whether a provider is set here (a base URL or a key); read once per change (by any process). */
  async isSet(): Promise<boolean> {
    await this.refresh();
    if (this.#isSetCache?.revision === this.#revision) return this.#isSetCache.isSet;
    const revision = this.#revision;
    const isSet = (await this.credentials()) !== undefined;
    this.#isSetCache = { revision, isSet };
    return isSet;
  }

  async #read(): Promise<{ stored: Stored; updatedAt: string } | undefined> {
    const row = await this.#table.get(NAME);
    return row && { stored: JSON.parse(row.value) as Stored, updatedAt: row.updatedAt };
  }

  async view(): Promise<ProviderView> {
    const row = await this.#read();
    const isSet = Boolean(row && (row.stored.apiKey || row.stored.baseURL));
    return {
      baseURL: row?.stored.baseURL ?? null,
      apiKey: { isSet: Boolean(row?.stored.apiKey), preview: row?.stored.preview ?? null },
      source: this.#isEnvConfigured ? 'env' : isSet ? 'settings' : 'none',
      updatedAt: row?.updatedAt ?? null,
    };
  }

  /**
   * Updates the settings: `undefined` keeps a field, `null` clears it, a string sets it. The key is sealed before it
   * touches the database.
   */
  async update(change: { baseURL?: string | null; apiKey?: string | null }): Promise<ProviderView> {
    const sealed = typeof change.apiKey === 'string' ? this.#box.seal(change.apiKey) : null;
    const updatedAt = new Date().toISOString();
    let value = '';
    // One transaction: a concurrent change of the other field (another request, another process) is kept.
    await this.#table.change(
      NAME,
      (stored) => {
        const current: Stored = stored ? JSON.parse(stored) : { baseURL: null, apiKey: null, preview: null };
        const next: Stored = { ...current };
        if (change.baseURL !== undefined) next.baseURL = change.baseURL;
        if (change.apiKey !== undefined) {
          next.apiKey = sealed;
          next.preview = change.apiKey === null ? null : maskSecret(change.apiKey);
        }
        value = JSON.stringify(next);
        return value;
      },
      updatedAt,
    );
    this.#revision++;
    this.#seen = `${updatedAt}\n${value}`;
    return this.view();
  }

  /** The decrypted credentials for model calls, or undefined when none are set. */
  async credentials(): Promise<{ apiKey?: string; baseURL?: string } | undefined> {
    const row = await this.#read();
    if (!row || (!row.stored.apiKey && !row.stored.baseURL)) return undefined;
    return {
      ...(row.stored.apiKey && { apiKey: this.#box.open(row.stored.apiKey) }),
      ...(row.stored.baseURL && { baseURL: row.stored.baseURL }),
    };
  }
}

/**
 * A model service that reads its provider from the settings, rebuilt when they change; `fallback` answers (usually
 * PROVIDER_NOT_CONFIGURED) while none is set.
 */
export function settingsLlm(settings: ProviderSettings, fallback: LlmService, maxAnswerBytes?: number): LlmService {
  let built: { revision: number; service: LlmService | undefined } | undefined;
  const current = async (): Promise<LlmService> => {
    await settings.refresh();
    if (!built || built.revision !== settings.revision) {
      const revision = settings.revision;
      const credentials = await settings.credentials();
      built = { revision, service: credentials && createLlmService({ ...credentials, maxAnswerBytes }) };
    }
    return built.service ?? fallback;
  };
  return {
    async chat(request: ChatRequest, options: ChatOptions): Promise<ChatResult> {
      return (await current()).chat(request, options);
    },
  };
}
