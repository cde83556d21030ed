import { create } from 'zustand';
import { api, type Collection } from '../api/http';

interface Collections {
  list: Collection[];
  /** Reads the collections again; what the retriever's picker and the Knowledge page show is never stale for long. */
  refresh(): Promise<void>;
}

let pending: Promise<void> | null = null;

/**
 * The vector collections, shared by the Knowledge page and the inspector's collection picker. Every view that shows
 * them refreshes on show (and the picker on focus), and the Knowledge page after each change, so a collection made
 * or deleted anywhere (the page, an ingest node's run, another tab) appears at the next look.
 */
export const useCollections = create<Collections>((set) => ({
  list: [],
  refresh() {
    // Calls made while one is on its way share it.
    pending ??= api
      .collections()
      .then((list) => set({ list }))
      .catch(() => {})
      .finally(() => {
        pending = null;
      });
    return pending;
  },
}));

export function refreshCollections(): Promise<void> {
  return useCollections.getState().refresh();
}
