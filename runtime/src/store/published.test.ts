import { afterEach, describe, expect, it } from 'vitest';
import { flowOf, removeTempDir, tempDir } from '../testing/fixtures.js';
import { writeLegacyStore } from '../testing/legacy-store.js';
import { decodeBundle } from './published.js';
import { Store } from './store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeTempDir(dir);
});

const inner = flowOf(
  'inner',
  [
    ['q', 'input'],
    ['out', 'output'],
  ],
  ['q.value→out.value'],
);
/** Calls `inner` through a subflow and a tool-flow, and `ghost`, which does not exist, through a map. */
const outer = flowOf(
  'outer',
  [
    ['q', 'input'],
    ['sub', 'subflow', { flowId: 'inner' }],
    ['tool', 'tool-flow', { flowId: 'inner' }],
    ['each', 'map', { flowId: 'ghost' }],
    ['out', 'output'],
  ],
  ['q.value→sub.inputs', 'sub.outputs→out.value'],
);

describe('migration 5: published versions stored before bundles', () => {
  it('freezes the current drafts of the flows they call, once, with full params', () => {
    const dir = tempDir();
    dirs.push(dir);
    writeLegacyStore(dir, [inner, outer], [outer]);

    const store = Store.open(dir, { writer: 'inline' });
    const row = store.published.latest('outer');
    const bundle = decodeBundle(row?.bundle ?? null);
    // The missing flow stays out: calling it fails as before (FLOW_NOT_FOUND), and never reaches a later draft.
    expect(bundle.map(({ flowId, flowVersion }) => ({ flowId, flowVersion }))).toEqual([
      { flowId: 'inner', flowVersion: 1 },
    ]);
    expect(bundle[0]?.flow.nodes.find((n) => n.id === 'q')?.params).toMatchObject({ name: 'question' });
    // The version's own flow gets full params too.
    const sub = JSON.parse(row?.json ?? '{}').nodes.find((n: { id: string }) => n.id === 'sub');
    expect(sub).toMatchObject({ typeVersion: 1, params: { flowId: 'inner', inputNames: [], outputNames: [] } });

    store.updateFlow({ ...inner, name: 'Edited' });
    store.close();
    const reopened = Store.open(dir, { writer: 'inline' });
    expect(reopened.published.latest('outer')?.bundle).toBe(row?.bundle);
    reopened.close();
  });

  it('drops params naming a flow from settings.overridable (never overridable now), keeping the others', () => {
    const dir = tempDir();
    dirs.push(dir);
    const settings = { allowedOrigins: ['https://a.example'], timeoutMs: 5000, overridable: ['sub.flowId', 'q.name'] };
    writeLegacyStore(dir, [inner, outer], [outer], settings);

    const store = Store.open(dir, { writer: 'inline' });
    expect(JSON.parse(store.published.latest('outer')?.settings ?? '{}')).toEqual({
      ...settings,
      overridable: ['q.name'],
    });
    store.close();
  });
});
