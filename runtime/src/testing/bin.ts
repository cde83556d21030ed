import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Test helpers for the `flowloom` bin, spawned as a user would run it.

const RUNTIME = fileURLToPath(new URL('../../', import.meta.url));
/** The runtime's bin (`npx flowloom`). */
export const BIN = join(RUNTIME, 'bin', 'flowloom.js');

/**
 * Builds the runtime (incremental, fast) so the bin's `dist/cli.js` is current when a test runs from the sources.
 * Type errors elsewhere do not block emit; the typecheck task reports them.
 */
export function buildBin(): void {
  try {
    execFileSync(process.execPath, [join(RUNTIME, '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], {
      cwd: RUNTIME,
      stdio: 'pipe',
    });
  } catch {
    // See above.
  }
  if (!existsSync(join(RUNTIME, 'dist', 'cli.js'))) throw new Error('runtime/dist/cli.js is missing after the build');
}

/** Starts `flowloom serve` on a free port with the given data folder; resolves with the child and its base URL. */
export async function startServe(
  dataDir: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', dataDir], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: 'pipe',
  });
  child.stdout.resume();
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
  });
  return { child, url };
}
