import { create } from 'zustand';
import { type DefaultProvider, type ModelProvider, settingsApi } from './api';

interface Providers {
  list: ModelProvider[];
  fallback: DefaultProvider | null;
  /** Model ids by provider id (`default` for the default one), once asked for. */
  models: Record<string, string[]>;
  refresh(): Promise<void>;
  /** Asks a provider for its models again (a field's focus, the Settings page's test). Throws what the server says. */
  loadModels(id: string): Promise<string[]>;
}

let pending: Promise<void> | null = null;

/**
 * The model providers and their model lists, shared by the Settings page and the inspector's provider and model
 * fields; each view refreshes them when shown, so what they offer follows the Settings page.
 */
export const useProviders = create<Providers>((set) => ({
  list: [],
  fallback: null,
  models: {},
  refresh() {
    pending ??= settingsApi
      .providers()
      .then((answer) => set({ list: answer.providers, fallback: answer.default }))
      .catch(() => {})
      .finally(() => {
        pending = null;
      });
    return pending;
  },
  async loadModels(id) {
    const models = await settingsApi.models(id || 'default');
    set((s) => ({ models: { ...s.models, [id || 'default']: models } }));
    return models;
  },
}));
