import { parentPort, workerData } from 'node:worker_threads';
import { isAppError } from '@flowloom/nodes';
import { QuickJsSandbox, type SandboxConfig } from './sandbox.js';

// One sandbox worker thread: runs scripts one at a time in QuickJS, so a script that spins never blocks the
// runtime's event loop, and the host can end it at once with worker.terminate().

/** A script to run, from the host. */
export interface SandboxJob {
  id: number;
  code: string;
  args: Record<string, unknown>;
  timeoutMs?: number;
  memoryBytes?: number;
}

/** What the worker answers about a job. */
export type SandboxReply =
  | { type: 'start'; id: number }
  | { type: 'log'; id: number; line: string }
  | { type: 'done'; id: number; value: unknown; memoryBytes: number }
  | {
      type: 'error';
      id: number;
      error: { code: string; message: string; details?: unknown[] };
      /** The script's WebAssembly memory when it ended (the pool recycles a worker past its budget). */
      memoryBytes: number;
    };

const port = parentPort;
if (port) {
  const sandbox = new QuickJsSandbox(workerData as SandboxConfig);
  const never = new AbortController().signal;
  port.on('message', async (job: SandboxJob) => {
    const send = (reply: SandboxReply) => port.postMessage(reply);
    send({ type: 'start', id: job.id });
    try {
      const value = await sandbox.run(job.code, job.args, {
        signal: never,
        timeoutMs: job.timeoutMs,
        memoryBytes: job.memoryBytes,
        onLog: (line) => send({ type: 'log', id: job.id, line }),
      });
      try {
        send({ type: 'done', id: job.id, value, memoryBytes: sandbox.lastMemoryBytes });
      } catch (err) {
        // A value that cannot be posted (it never reaches the host): the job still gets an answer.
        send({
          type: 'error',
          id: job.id,
          error: { code: 'SANDBOX_ERROR', message: `the script's result cannot be sent: ${String(err)}` },
          memoryBytes: sandbox.lastMemoryBytes,
        });
      }
    } catch (err) {
      const error = isAppError(err)
        ? { code: err.code, message: err.message, ...(err.details && { details: err.details }) }
        : { code: 'SANDBOX_ERROR', message: err instanceof Error ? err.message : String(err) };
      send({ type: 'error', id: job.id, error, memoryBytes: sandbox.lastMemoryBytes });
    }
  });
}
