import { FLOW_FORMAT, FLOW_ID_PATTERN } from './flow.js';

const ID = { type: 'string', minLength: 1, maxLength: 128 } as const;
const POSITION = {
  type: 'object',
  required: ['x', 'y'],
  properties: { x: { type: 'number' }, y: { type: 'number' } },
  additionalProperties: false,
} as const;

/**
 * JSON Schema (draft 2020-12 subset understood by Ajv) of a flow file, docs/contracts.md §1.
 * Served at `GET /api/schema/flow.json`; the runtime validates every stored or run flow against it.
 */
export const FLOW_SCHEMA = {
  $id: 'https://flowloom.dev/schema/flow.json',
  title: 'Flowloom flow file',
  type: 'object',
  required: ['format', 'id', 'name', 'nodes', 'edges'],
  properties: {
    format: { const: FLOW_FORMAT },
    id: { type: 'string', pattern: FLOW_ID_PATTERN },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 5000 },
    version: { type: 'integer', minimum: 1 },
    tags: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 50 },
    nodes: {
      type: 'array',
      maxItems: 5000,
      items: {
        type: 'object',
        required: ['id', 'type', 'position'],
        properties: {
          id: { ...ID, pattern: '^[A-Za-z0-9_.-]+$' },
          type: { type: 'string', minLength: 1, maxLength: 64 },
          typeVersion: { type: 'integer', minimum: 1 },
          label: { type: 'string', maxLength: 200 },
          position: POSITION,
          params: { type: 'object' },
          settings: {
            type: 'object',
            properties: {
              timeoutMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
              retries: { type: 'integer', minimum: 0, maximum: 10 },
              retryBackoffMs: { type: 'integer', minimum: 0, maximum: 60_000 },
            },
            additionalProperties: false,
          },
        },
        additionalProperties: false,
      },
    },
    edges: {
      type: 'array',
      maxItems: 20000,
      items: {
        type: 'object',
        required: ['id', 'source', 'sourcePort', 'target', 'targetPort'],
        properties: { id: ID, source: ID, sourcePort: ID, target: ID, targetPort: ID },
        additionalProperties: false,
      },
    },
    notes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'text', 'position'],
        properties: {
          id: ID,
          text: { type: 'string', maxLength: 20000 },
          position: POSITION,
          size: {
            type: 'object',
            required: ['width', 'height'],
            properties: { width: { type: 'number', minimum: 0 }, height: { type: 'number', minimum: 0 } },
            additionalProperties: false,
          },
        },
        additionalProperties: false,
      },
    },
    groups: { type: 'array' },
    meta: { type: 'object' },
  },
  additionalProperties: false,
} as const;
