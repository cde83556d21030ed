import type { NodeSpec } from '@flowloom/nodes/spec';
import type { Catalog } from './graph-ops';
import type { SliceCreator } from './index';

export interface CatalogSlice {
  /** Node kinds by type, from GET /api/nodes. */
  catalog: Catalog;
  /** The same kinds in catalog order, for the palette. */
  kinds: NodeSpec[];
  isCatalogLoaded: boolean;
  setCatalog: (kinds: NodeSpec[]) => void;
}

export const createCatalogSlice: SliceCreator<CatalogSlice> = (set) => ({
  catalog: {},
  kinds: [],
  isCatalogLoaded: false,
  setCatalog: (kinds) =>
    set(
      { kinds, catalog: Object.fromEntries(kinds.map((k) => [k.type, k])), isCatalogLoaded: true },
      false,
      'setCatalog',
    ),
});
