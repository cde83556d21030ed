import { request } from '../api/http';

const enc = encodeURIComponent;

/** A model provider as the runtime shows it: never its key, only whether it has one and its last characters. */
export interface ModelProvider {
  id: string;
  name: string;
  kind: 'openai' | 'compatible';
  baseURL: string | null;
  apiKey: { isSet: boolean; preview: string | null };
  createdAt: string;
  updatedAt: string;
}

/** What answers nodes that name no provider. */
export interface DefaultProvider {
  source: 'env' | 'settings' | 'providers' | 'none';
  provider: string | null;
  baseURL: string | null;
}

export interface ProviderChange {
  name?: string;
  baseURL?: string | null;
  apiKey?: string | null;
}

/** The model providers API (docs/publishing.md, "Named model providers"). */
export const settingsApi = {
  providers: () => request<{ providers: ModelProvider[]; default: DefaultProvider }>('GET', '/api/settings/providers'),
  create: (body: { name: string; baseURL?: string | null; apiKey?: string | null }) =>
    request<ModelProvider>('POST', '/api/settings/providers', body),
  update: (id: string, body: ProviderChange) =>
    request<ModelProvider>('PATCH', `/api/settings/providers/${enc(id)}`, body),
  remove: (id: string) => request<unknown>('DELETE', `/api/settings/providers/${enc(id)}`),
  /** `default`: the provider of nodes that name none. */
  models: (id: string) =>
    request<{ models: string[] }>('GET', `/api/settings/providers/${enc(id)}/models`).then((r) => r.models),
};

/** How the default provider is described where a provider is picked. */
export function defaultLabel(fallback: DefaultProvider | null, providers: readonly ModelProvider[]): string {
  switch (fallback?.source) {
    case 'env':
      return 'Default: the environment’s (OPENAI_API_KEY / OPENAI_BASE_URL)';
    case 'settings':
      return 'Default: the provider set before named providers';
    case 'providers':
      return `Default: ${providers.find((p) => p.id === fallback.provider)?.name ?? fallback.provider}`;
    default:
      return 'Default (none set yet)';
  }
}
