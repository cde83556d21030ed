import { useSyncExternalStore } from 'react';

export type Route =
  | { page: 'flows' }
  | { page: 'keys' }
  | { page: 'datasets'; datasetId?: string }
  | { page: 'experiments'; experimentId?: string }
  | { page: 'monitoring'; flowId?: string }
  | { page: 'knowledge'; collection?: string }
  | { page: 'settings' }
  | { page: 'editor'; flowId: string; runId?: string };

const decode = (part: string | undefined) => (part ? decodeURIComponent(part) : undefined);

/**
 * Hash routes: `#/` the flows page, `#/flows/:id` the editor (`?run=<runId>` replays that run on the canvas),
 * `#/keys`, `#/datasets[/:id]`, `#/experiments[/:id]`, `#/monitoring[/:flowId]`, `#/knowledge[/:collection]`,
 * `#/settings`. Pure.
 */
export function parseHash(hash: string): Route {
  if (/^#\/keys\b/.test(hash)) return { page: 'keys' };
  if (/^#\/settings\b/.test(hash)) return { page: 'settings' };
  const knowledge = /^#\/knowledge(?:\/([^/?#]+))?/.exec(hash);
  if (knowledge) {
    const collection = decode(knowledge[1]);
    return collection ? { page: 'knowledge', collection } : { page: 'knowledge' };
  }
  const datasets = /^#\/datasets(?:\/([^/?#]+))?/.exec(hash);
  if (datasets) {
    const datasetId = decode(datasets[1]);
    return datasetId ? { page: 'datasets', datasetId } : { page: 'datasets' };
  }
  const experiments = /^#\/experiments(?:\/([^/?#]+))?/.exec(hash);
  if (experiments) {
    const experimentId = decode(experiments[1]);
    return experimentId ? { page: 'experiments', experimentId } : { page: 'experiments' };
  }
  const monitoring = /^#\/monitoring(?:\/([^/?#]+))?/.exec(hash);
  if (monitoring) {
    const flowId = decode(monitoring[1]);
    return flowId ? { page: 'monitoring', flowId } : { page: 'monitoring' };
  }
  const match = /^#\/flows\/([^/?#]+)(?:\?run=([^&#]+))?/.exec(hash);
  if (!match?.[1]) return { page: 'flows' };
  const runId = decode(match[2]);
  return { page: 'editor', flowId: decodeURIComponent(match[1]), ...(runId && { runId }) };
}

/** The hash of a route (what `parseHash` reads back). */
export function hrefOf(route: Route): string {
  const enc = encodeURIComponent;
  switch (route.page) {
    case 'keys':
      return '#/keys';
    case 'settings':
      return '#/settings';
    case 'knowledge':
      return route.collection ? `#/knowledge/${enc(route.collection)}` : '#/knowledge';
    case 'datasets':
      return route.datasetId ? `#/datasets/${enc(route.datasetId)}` : '#/datasets';
    case 'experiments':
      return route.experimentId ? `#/experiments/${enc(route.experimentId)}` : '#/experiments';
    case 'monitoring':
      return route.flowId ? `#/monitoring/${enc(route.flowId)}` : '#/monitoring';
    case 'editor':
      return `#/flows/${enc(route.flowId)}${route.runId ? `?run=${enc(route.runId)}` : ''}`;
    default:
      return '#/';
  }
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash);
}

export function navigate(route: Route): void {
  window.location.hash = hrefOf(route);
}
