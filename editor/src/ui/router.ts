import { useSyncExternalStore } from 'react';

export type Route =
  | { page: 'flows' }
  | { page: 'keys' }
  | { page: 'monitoring'; flowId?: string }
  | { page: 'editor'; flowId: string };

/** Hash routes: `#/` the flows page, `#/flows/:id` the editor, `#/keys`, `#/monitoring[/:id]`. Pure. */
export function parseHash(hash: string): Route {
  if (/^#\/keys\b/.test(hash)) return { page: 'keys' };
  const monitoring = /^#\/monitoring(?:\/([^/?#]+))?/.exec(hash);
  if (monitoring) {
    return monitoring[1] ? { page: 'monitoring', flowId: decodeURIComponent(monitoring[1]) } : { page: 'monitoring' };
  }
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
  else if (route.page === 'monitoring') {
    window.location.hash = route.flowId ? `#/monitoring/${encodeURIComponent(route.flowId)}` : '#/monitoring';
  } else window.location.hash = route.page === 'editor' ? `#/flows/${encodeURIComponent(route.flowId)}` : '#/';
}
