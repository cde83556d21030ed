import { AppError, type ChatOptions, type ChatRequest, type ChatResult, type LlmService } from '@flowloom/nodes';
import type { SettingsTable } from '../store/types.js';
import { createLlmService, type OpenAIService } from './openai.js';
import { maskSecret, type Sealed, type SecretBox } from './secrets.js';

/** A provider id: a lowercase slug, what `llm` nodes store in their `provider` param. */
export const PROVIDER_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** The id routes read as "the provider of nodes that name none": never a provider's own id. */
export const RESERVED_PROVIDER_ID = 'default';

/** A model provider as the API shows it: never the key in clear. */
export interface ProviderView {
  id: string;
  name: string;
  /** `openai`: OpenAI itself (no base URL); `compatible`: any OpenAI-compatible server at `baseURL`. */
  kind: 'openai' | 'compatible';
  baseURL: string | null;
  apiKey: { isSet: boolean; preview: string | null };
  createdAt: string;
  updatedAt: string;
}

interface Stored {
  id: string;
  name: string;
  baseURL: string | null;
  apiKey: Sealed | null;
  /** Kept only to show the key masked without decrypting it. */
  preview: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The `settings` row that holds the list. */
const NAME = 'providers';

/** An id from a name: `My Ollama!` → `my-ollama`; `Default` → `default-provider` (`default` is reserved). */
export function slugOf(name: string): string {
  const slug =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'provider';
  return slug === RESERVED_PROVIDER_ID ? `${slug}-provider` : slug;
}

function view(stored: Stored): ProviderView {
  return {
    id: stored.id,
    name: stored.name,
    kind: stored.baseURL ? 'compatible' : 'openai',
    baseURL: stored.baseURL,
    apiKey: { isSet: stored.apiKey !== null, preview: stored.preview },
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}

function notFound(id: string): AppError {
  return new AppError('PROVIDER_NOT_FOUND', `there is no model provider "${id}": add it in Settings`, {
    details: [{ provider: id }],
  });
}

/**
 * The model providers set in the editor (Settings): OpenAI and any number of OpenAI-compatible servers, each with a
 * name, a base URL and a key. Kept as one JSON list in the `settings` table; keys are sealed by `SecretBox` before
 * they touch the database and never answered back (only masked).
 */
export class ModelProviders {
  readonly #table: SettingsTable;
  readonly #box: SecretBox;

  constructor(table: SettingsTable, box: SecretBox) {
    this.#table = table;
    this.#box = box;
  }

  async #read(): Promise<Stored[]> {
    const row = await this.#table.get(NAME);
    return row ? (JSON.parse(row.value) as Stored[]) : [];
  }

  /** Changes the list atomically: `fn` gets the list as stored now and returns it changed (or throws: nothing written). */
  async #change(fn: (list: Stored[]) => Stored[]): Promise<void> {
    await this.#table.change(
      NAME,
      (value) => JSON.stringify(fn(value ? (JSON.parse(value) as Stored[]) : [])),
      new Date().toISOString(),
    );
  }

  async list(): Promise<ProviderView[]> {
    return (await this.#read()).map(view);
  }

  async get(id: string): Promise<ProviderView> {
    const found = (await this.#read()).find((p) => p.id === id);
    if (!found) throw notFound(id);
    return view(found);
  }

  /** Adds a provider; its id is given or made from its name. CONFLICT when the id is taken. */
  async create(input: { id?: string; name: string; baseURL?: string | null; apiKey?: string | null }) {
    const id = input.id ?? slugOf(input.name);
    if (id === RESERVED_PROVIDER_ID) {
      throw new AppError('VALIDATION_FAILED', `"${id}" is reserved (it names the default provider): pick another id`, {
        status: 400,
        details: [{ field: 'body.id', message: `"${id}" is reserved` }],
      });
    }
    const at = new Date().toISOString();
    const stored: Stored = {
      id,
      name: input.name,
      baseURL: input.baseURL ?? null,
      apiKey: input.apiKey ? this.#box.seal(input.apiKey) : null,
      preview: input.apiKey ? maskSecret(input.apiKey) : null,
      createdAt: at,
      updatedAt: at,
    };
    await this.#change((list) => {
      if (list.some((p) => p.id === id)) {
        throw new AppError('CONFLICT', `a model provider "${id}" exists already: pick another name or id`, {
          status: 409,
          details: [{ field: input.id ? 'body.id' : 'body.name', message: `the id "${id}" is taken` }],
        });
      }
      return [...list, stored];
    });
    return view(stored);
  }

  /** Changes a provider: `undefined` keeps a field, `null` clears it, a value sets it. */
  async update(id: string, change: { name?: string; baseURL?: string | null; apiKey?: string | null }) {
    const sealed = typeof change.apiKey === 'string' ? this.#box.seal(change.apiKey) : null;
    let next: Stored | undefined;
    await this.#change((list) => {
      const index = list.findIndex((p) => p.id === id);
      const current = list[index];
      if (!current) throw notFound(id);
      const changed: Stored = { ...current, updatedAt: new Date().toISOString() };
      if (change.name !== undefined) changed.name = change.name;
      if (change.baseURL !== undefined) changed.baseURL = change.baseURL;
      if (change.apiKey !== undefined) {
        changed.apiKey = sealed;
        changed.preview = change.apiKey === null ? null : maskSecret(change.apiKey);
      }
      next = changed;
      return list.with(index, changed);
    });
    return view(next as Stored);
  }

  async delete(id: string): Promise<void> {
    await this.#change((list) => {
      if (!list.some((p) => p.id === id)) throw notFound(id);
      return list.filter((p) => p.id !== id);
    });
  }

  /** The decrypted credentials of a provider, for its model calls; PROVIDER_NOT_FOUND when unknown. */
  async credentials(id: string): Promise<{ apiKey?: string; baseURL?: string }> {
    return (await this.connection(id)).credentials();
  }

  /**
   * What a provider's model calls use, as stored now: `version` changes with its base URL or key (a sealed key differs
   * at every sealing), and `credentials()` decrypts them. Read from the store at each call, so a change made by another
   * process (the api role, while this is a worker) applies at the next call. PROVIDER_NOT_FOUND when unknown.
   */
  async connection(id: string): Promise<{ version: string; credentials(): { apiKey?: string; baseURL?: string } }> {
    const found = (await this.#read()).find((p) => p.id === id);
    if (!found) throw notFound(id);
    return {
      version: JSON.stringify([found.baseURL, found.apiKey]),
      credentials: () => ({
        ...(found.apiKey && { apiKey: this.#box.open(found.apiKey) }),
        ...(found.baseURL && { baseURL: found.baseURL }),
      }),
    };
  }

  /** The id of the first provider, if any: the default one when the environment and the older setting set none. */
  async firstId(): Promise<string | undefined> {
    return (await this.#read())[0]?.id;
  }
}

/**
 * Model services per provider, built from the settings on first use and rebuilt when the provider's base URL or key
 * changed in the store, whichever process changed it.
 */
export class ProviderServices {
  readonly #providers: ModelProviders;
  readonly #maxAnswerBytes: number | undefined;
  readonly #built = new Map<string, { version: string; service: OpenAIService }>();

  constructor(providers: ModelProviders, maxAnswerBytes: number | undefined) {
    this.#providers = providers;
    this.#maxAnswerBytes = maxAnswerBytes;
  }

  /** The service of one provider; PROVIDER_NOT_FOUND when there is no such provider (any more). */
  async service(id: string): Promise<OpenAIService> {
    let connection: Awaited<ReturnType<ModelProviders['connection']>>;
    try {
      connection = await this.#providers.connection(id);
    } catch (err) {
      this.#built.delete(id);
      throw err;
    }
    const built = this.#built.get(id);
    if (built?.version === connection.version) return built.service;
    const service = createLlmService({ ...connection.credentials(), maxAnswerBytes: this.#maxAnswerBytes });
    this.#built.set(id, { version: connection.version, service });
    return service;
  }
}

/**
 * The model service of the runtime: a request that names a provider goes to it; one that names none goes to the
 * default service (the environment's provider, or the one set in the editor before providers had names), and, when
 * that has none, to the first provider of the list.
 */
export function routedLlm(
  services: ProviderServices,
  providers: ModelProviders,
  defaultService: LlmService,
  hasDefault: () => Promise<boolean>,
): LlmService {
  return {
    async chat(request: ChatRequest, options: ChatOptions): Promise<ChatResult> {
      const { provider, ...rest } = request;
      if (provider) return (await services.service(provider)).chat(rest, options);
      if (!(await hasDefault())) {
        const first = await providers.firstId();
        if (first) return (await services.service(first)).chat(rest, options);
      }
      return defaultService.chat(rest, options);
    },
  };
}
