import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FlowFile } from '@flowloom/nodes';

/** The example flows in the repository's `flows/` folder, offered as templates. Unreadable files are skipped. */
export async function readTemplates(dir: string): Promise<FlowFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.flow.json')).sort();
  } catch {
    return [];
  }
  const flows: FlowFile[] = [];
  for (const name of names) {
    try {
      const flow = JSON.parse(await readFile(join(dir, name), 'utf8')) as FlowFile;
      if (flow && typeof flow === 'object' && typeof flow.id === 'string' && Array.isArray(flow.nodes))
        flows.push(flow);
    } catch {
      // A broken example must not take the template list down; `flowloom validate` reports it.
    }
  }
  return flows;
}
