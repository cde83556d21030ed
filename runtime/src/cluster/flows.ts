import type { FlowFile } from '@flowloom/nodes';

// Flows of the cluster tests.

/**
 * Five nodes in a chain: an input, three model calls (`a`, `b`, `c`, told apart by their system prompts `step a`...)
 * and an output. With the fake model's latency each call takes that long, so a test can stop a worker between them.
 */
export function chainFlow(id = 'chain'): FlowFile {
  const llm = (name: string, x: number) => ({
    id: name,
    type: 'llm',
    position: { x, y: 0 },
    params: { system: `step ${name}`, stream: false },
  });
  return {
    format: 'flowloom.flow/v1',
    id,
    name: 'Chain',
    nodes: [
      { id: 'q', type: 'input', position: { x: 0, y: 0 }, params: { name: 'q' } },
      llm('a', 200),
      llm('b', 400),
      llm('c', 600),
      { id: 'out', type: 'output', position: { x: 800, y: 0 }, params: { name: 'out' } },
    ],
    edges: [
      { id: 'e1', source: 'q', sourcePort: 'value', target: 'a', targetPort: 'prompt' },
      { id: 'e2', source: 'a', sourcePort: 'text', target: 'b', targetPort: 'prompt' },
      { id: 'e3', source: 'b', sourcePort: 'text', target: 'c', targetPort: 'prompt' },
      { id: 'e4', source: 'c', sourcePort: 'text', target: 'out', targetPort: 'value' },
    ],
  } as FlowFile;
}
