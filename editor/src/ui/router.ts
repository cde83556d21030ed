import { useSyncExternalStore } from 'react';

export type Route = { page: 'flows' } | { page: 'keys' } | { page: 'editor'; flowId: string };

/** Hash routes: `#/` the flows page, `#/flows/:id` the editor. Pure. */
export function parseHash(hash: string): Route {
  if (/^#\/keys\b/.test(hash)) return { page: 'keys' };
  const match = /^#\/flows\/([^/?#]+)/.exec(hash);
  return match?.[1] ? { page: 'editor', flowId: decodeURIComponent(match[1]) } : { page: 'flows' };
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash);
}

export function navigate(route: Route): void {
  if (route.page === 'keys') window.location.hash = '#/keys';
  else window.location.hash = route.page === 'editor' ? `#/flows/${encodeURIComponent(route.flowId)}` : '#/';
}
