import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@flowloom/nodes';

/** What `GET /api/health` reports as `vectorStore.status`. `idle`: managed server not started yet (lazy). */
export type VectorStoreStatus = 'idle' | 'starting' | 'ok' | 'down';

export type VectorStoreHealth = {
  status: VectorStoreStatus;
  url: string | null;
  /** True when the runtime runs Chroma itself (CHROMA_URL unset). */
  managed: boolean;
  pid?: number | null;
  /** Times the managed server was restarted after dying. */
  restarts?: number;
  error?: string;
};

export type ChromaLog = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface ChromaServerOptions {
  /** Data folder of the server (`<dataDir>/chroma`). */
  path: string;
  /** Port to use; by default a free one is picked by listening on port 0. */
  port?: number;
  log?: ChromaLog;
  /** How long a start may take before it counts as failed. */
  startTimeoutMs?: number;
  /** Restart the server when it dies (default true). */
  restart?: boolean;
}

// Runs in the child before cli(): cli() blocks the child's JS thread, so only a worker thread can notice that the
// parent died (the child is re-parented) and end the server; otherwise it would be orphaned, holding its port.
const WATCHDOG =
  'new (require("node:worker_threads").Worker)("const {workerData:p}=require(\'node:worker_threads\');' +
  "setInterval(()=>{if(process.ppid!==p)process.kill(process.pid,'SIGTERM')},500)\",{eval:true,workerData:process.ppid})";

const MAX_BACKOFF_MS = 5_000;
// Strips terminal colours from the server's banner.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\u001b\[[0-9;]*m/g;

/** Path of the native binding the chromadb client itself resolves (the root override pins it to 0.1.3). */
export function chromaBindingPath(): string {
  const fromRuntime = createRequire(import.meta.url);
  return createRequire(fromRuntime.resolve('chromadb')).resolve('chromadb-js-bindings-linux-x64-gnu');
}

/** Finds a free TCP port on 127.0.0.1 by listening on port 0. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A Chroma server run from the npm binding as a child process. Started on first `start()` (idempotent),
 * restarted with backoff when it dies, stopped with SIGTERM (it ignores SIGINT). A watchdog thread in the
 * child ends it within about a second when this process dies, so no orphan keeps the port.
 */
export class ChromaServer {
  readonly #options: ChromaServerOptions;
  #status: VectorStoreStatus = 'idle';
  #port: number | undefined;
  #child: ChildProcess | null = null;
  #ready: Promise<string> | null = null;
  #restarts = 0;
  #failures = 0;
  #error: string | undefined;
  #stopped = false;
  #upSince: number | undefined;
  #restartTimer: NodeJS.Timeout | null = null;
  readonly #killOnExit = () => this.#child?.kill('SIGTERM');

  constructor(options: ChromaServerOptions) {
    this.#options = options;
    this.#port = options.port;
  }

  get url(): string | null {
    return this.#port === undefined ? null : `http://127.0.0.1:${this.#port}`;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  health(): VectorStoreHealth {
    const health: VectorStoreHealth = {
      status: this.#status,
      url: this.url,
      managed: true,
      pid: this.pid,
      restarts: this.#restarts,
    };
    if (this.#error && this.#status !== 'ok') health.error = this.#error;
    return health;
  }

  /** Starts the server if needed and resolves with its URL once it answers heartbeats. */
  start(): Promise<string> {
    if (this.#stopped) return Promise.reject(new AppError('VECTOR_STORE_UNAVAILABLE', 'the vector store was stopped'));
    if (this.#ready) return this.#ready;
    if (this.#restartTimer) {
      // Someone needs the server now: restart at once instead of waiting out the backoff.
      clearTimeout(this.#restartTimer);
      this.#restartTimer = null;
      this.#restarts++;
    }
    return this.#begin();
  }

  /** Stops the server (SIGTERM) and waits for it to exit. No restart follows. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', this.#killOnExit);
    this.#status = 'down';
  }

  async #launch(): Promise<string> {
    this.#status = 'starting';
    try {
      await mkdir(this.#options.path, { recursive: true });
      this.#port ??= await freePort();
      const url = await this.#spawn(this.#port);
      this.#status = 'ok';
      this.#upSince = Date.now();
      this.#error = undefined;
      return url;
    } catch (err) {
      this.#status = 'down';
      this.#error = err instanceof Error ? err.message : String(err);
      // The port may have been taken meanwhile: pick a fresh one next time unless it was configured.
      if (this.#options.port === undefined) this.#port = undefined;
      throw new AppError('VECTOR_STORE_UNAVAILABLE', `Chroma did not start: ${this.#error}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  async #spawn(port: number): Promise<string> {
    const log = this.#options.log;
    const args = ['chroma', 'run', '--path', this.#options.path, '--port', String(port)];
    const script = `${WATCHDOG};require(${JSON.stringify(chromaBindingPath())}).cli(${JSON.stringify(args)})`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    process.on('exit', this.#killOnExit);
    for (const [stream, level] of [
      [child.stdout, 'info'],
      [child.stderr, 'warn'],
    ] as const) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of chunk.replace(ANSI, '').split('\n'))
          if (line.trim() && log) log(level, `chroma: ${line.trim()}`);
      });
    }
    let exited = false;
    child.once('exit', (code, signal) => {
      exited = true;
      process.removeListener('exit', this.#killOnExit);
      if (this.#child === child) this.#child = null;
      if (this.#stopped) return;
      // A server that stayed up a while starts a fresh backoff sequence.
      if (this.#upSince !== undefined && Date.now() - this.#upSince > 30_000) this.#failures = 0;
      this.#upSince = undefined;
      this.#ready = null;
      this.#status = 'down';
      this.#error = `Chroma exited (${signal ?? `code ${code}`})`;
      log?.('error', this.#error);
      this.#scheduleRestart();
    });

    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + (this.#options.startTimeoutMs ?? 60_000);
    while (!exited) {
      if (this.#stopped) throw new Error('stopped while starting');
      try {
        const answer = await fetch(`${url}/api/v2/heartbeat`, { signal: AbortSignal.timeout(1_000) });
        if (answer.ok) return url;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`no heartbeat on ${url} within ${this.#options.startTimeoutMs ?? 60_000} ms`);
      }
      await sleep(50);
    }
    throw new Error(`Chroma exited during start (code ${child.exitCode ?? child.signalCode})`);
  }

  #begin(): Promise<string> {
    const ready = this.#launch();
    this.#ready = ready;
    ready.catch(() => {
      if (this.#ready === ready) this.#ready = null;
      // Without a child there is no exit event to trigger the next attempt.
      if (!this.#child) this.#scheduleRestart();
    });
    return ready;
  }

  #scheduleRestart(): void {
    if (this.#stopped || this.#options.restart === false || this.#restartTimer) return;
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.#failures);
    this.#failures++;
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#stopped || this.#ready) return;
      this.#restarts++;
      this.#begin().catch(() => {});
    }, delay);
    this.#restartTimer.unref();
  }
}
