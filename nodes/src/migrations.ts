import type { NodeRegistry } from './registry.js';
import type { FlowFile, FlowNode } from './spec/index.js';

/** One node `migrateFlow` upgraded, from the kind version it was saved by to the current one. */
export interface NodeMigration {
  nodeId: string;
  type: string;
  from: number;
  to: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function migrateNode(node: FlowNode, registry: NodeRegistry, migrated: NodeMigration[]): FlowNode {
  if (!isPlainObject(node) || typeof node.type !== 'string') return node;
  const kind = registry.get(node.type);
  if (!kind) return node;
  const current = kind.spec.version;
  const from = node.typeVersion ?? 1;
  // Newer than the kind (validateFlow reports it), or not a version at all (the schema does): left as it is.
  if (!Number.isInteger(from) || from > current || (node.params !== undefined && !isPlainObject(node.params))) {
    return node;
  }
  if (from === current) return node.typeVersion === current ? node : { ...node, typeVersion: current };
  let params: Record<string, unknown> = { ...node.params };
  for (let version = from + 1; version <= current; version++) {
    const step = kind.migrations?.[version];
    if (step) params = step(params);
  }
  migrated.push({ nodeId: node.id, type: node.type, from, to: current });
  const { params: _old, ...rest } = node;
  return { ...rest, typeVersion: current, ...(Object.keys(params).length > 0 && { params }) };
}

/**
 * Upgrades every node to its kind's current version: runs the kind's `migrations` from the node's `typeVersion`
 * (absent means 1) up to the kind's `version`, and records the version on every node of a known kind, so a saved
 * flow always says which version of each kind it was written for. Nodes of unknown kinds and nodes newer than their
 * kind (validateFlow reports NODE_TYPE_VERSION_UNSUPPORTED) stay as they are. Every load path runs it: the store's
 * reads and writes, published versions, templates, files given to the CLI. Pure: the input is not changed.
 */
export function migrateFlow(flow: FlowFile, registry: NodeRegistry): { flow: FlowFile; migrated: NodeMigration[] } {
  if (!isPlainObject(flow) || !Array.isArray(flow.nodes)) return { flow, migrated: [] };
  const migrated: NodeMigration[] = [];
  const nodes = flow.nodes.map((node) => migrateNode(node, registry, migrated));
  return { flow: { ...flow, nodes }, migrated };
}
