import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@flowloom/nodes';
import { createFileOnce, createPrivateDirAsync } from '../platform/private-files.js';
import { isProcessAlive } from '../platform/process-alive.js';

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
  /**
   * Set when another process (e.g. `flowloom serve` next to a CLI run) already runs the Chroma server of this data
   * folder and this one uses it: that process's pid.
   */
  sharedWith?: number;
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
  /** How often a server shared with another process is checked (default 2000 ms). */
  watchIntervalMs?: number;
}

/** Who runs the Chroma server of a data folder: written next to it, exclusively, by the process that spawns it. */
interface OwnerRecord {
  pid: number;
  port: number;
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
 *
 * One server per data folder: two servers on the same files would each overwrite the other's index. The process
 * that spawns one records itself in `<path>.owner.json` (created exclusively); another process (a CLI run next to
 * `flowloom serve`) finds the record, uses that server, and checks on it; when its owner stops or dies, it takes
 * over and spawns its own.
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
  /** True while this instance holds the owner record (it spawns the server). */
  #owns = false;
  /** The owner whose server this instance uses, and the timer that checks on it. */
  #shared: { owner: OwnerRecord; timer: NodeJS.Timeout } | null = null;
  readonly #ownerFile: string;
  readonly #killOnExit = () => this.#child?.kill('SIGTERM');

  constructor(options: ChromaServerOptions) {
    this.#options = options;
    this.#port = options.port;
    this.#ownerFile = `${options.path}.owner.json`;
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
    if (this.#shared) health.sharedWith = this.#shared.owner.pid;
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
    this.#unshare();
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', this.#killOnExit);
    await this.#release();
    this.#status = 'down';
  }

  async #launch(): Promise<string> {
    this.#status = 'starting';
    try {
      await createPrivateDirAsync(this.#options.path);
      this.#port ??= await freePort();
      const owner = this.#owns ? null : await this.#claim(this.#port);
      if (owner) return await this.#share(owner);
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

  /**
   * Becomes the owner of this data folder's server (null), or returns the live owner whose server to use. A record
   * left by a process that is gone is removed first.
   */
  async #claim(port: number): Promise<OwnerRecord | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      // Whole or not at all: another process never reads it half written and takes it for a stale one.
      if (createFileOnce(this.#ownerFile, JSON.stringify({ pid: process.pid, port } satisfies OwnerRecord))) {
        this.#owns = true;
        return null;
      }
      const text = await readFile(this.#ownerFile, 'utf8').catch(() => '');
      const owner = parseOwner(text);
      if (owner && isProcessAlive(owner.pid)) return owner;
      // Stale (its process is gone) or unreadable: remove it unless someone replaced it meanwhile, and try again.
      if ((await readFile(this.#ownerFile, 'utf8').catch(() => null)) === text) {
        await unlink(this.#ownerFile).catch(() => {});
      }
    }
    throw new Error(`could not claim ${this.#ownerFile}`);
  }

  /** Uses the owner's server once it answers, and watches it: when it goes, this instance takes over. */
  async #share(owner: OwnerRecord): Promise<string> {
    const url = `http://127.0.0.1:${owner.port}`;
    // The owner may still be starting it.
    await this.#waitForHeartbeat(url, () => !isProcessAlive(owner.pid));
    this.#unshare();
    const timer = setInterval(() => void this.#checkOwner(owner), this.#options.watchIntervalMs ?? 2_000);
    timer.unref();
    this.#shared = { owner, timer };
    this.#port = owner.port;
    this.#status = 'ok';
    this.#error = undefined;
    this.#options.log?.('info', `chroma: using the server of process ${owner.pid} on ${url}`);
    return url;
  }

  async #checkOwner(owner: OwnerRecord): Promise<void> {
    if (!this.#shared || this.#shared.owner !== owner) return;
    const current = parseOwner(await readFile(this.#ownerFile, 'utf8').catch(() => ''));
    const same = current?.pid === owner.pid && current.port === owner.port;
    if (same && isProcessAlive(owner.pid) && (await this.#answers(`http://127.0.0.1:${owner.port}`))) return;
    if (!this.#shared || this.#shared.owner !== owner) return;
    // The owner stopped or died: run our own server from now on.
    this.#unshare();
    this.#ready = null;
    this.#status = 'down';
    this.#error = `the Chroma server of process ${owner.pid} is gone`;
    if (this.#options.port === undefined) this.#port = undefined;
    this.#options.log?.('warn', `chroma: ${this.#error}; starting one here`);
    this.#scheduleRestart();
  }

  #unshare(): void {
    if (this.#shared) clearInterval(this.#shared.timer);
    this.#shared = null;
  }

  /** Gives up the owner record (when this instance stops its server for good). */
  async #release(): Promise<void> {
    if (!this.#owns) return;
    this.#owns = false;
    const owner = parseOwner(await readFile(this.#ownerFile, 'utf8').catch(() => ''));
    if (owner?.pid === process.pid && owner.port === this.#port) await unlink(this.#ownerFile).catch(() => {});
  }

  async #answers(url: string): Promise<boolean> {
    try {
      const answer = await fetch(`${url}/api/v2/heartbeat`, { signal: AbortSignal.timeout(1_000) });
      return answer.ok;
    } catch {
      return false;
    }
  }

  /** Resolves once `url` answers heartbeats; throws when `isGone()` says it never will, or at the start deadline. */
  async #waitForHeartbeat(url: string, isGone: () => boolean, onTimeout?: () => void): Promise<void> {
    const timeoutMs = this.#options.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#stopped) throw new Error('stopped while starting');
      if (await this.#answers(url)) return;
      if (isGone()) throw new Error(`the server on ${url} went away while starting`);
      if (Date.now() > deadline) {
        onTimeout?.();
        throw new Error(`no heartbeat on ${url} within ${timeoutMs} ms`);
      }
      await sleep(50);
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
    try {
      await this.#waitForHeartbeat(
        url,
        () => exited,
        () => child.kill('SIGKILL'),
      );
    } catch (err) {
      if (exited) throw new Error(`Chroma exited during start (code ${child.exitCode ?? child.signalCode})`);
      throw err;
    }
    return url;
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

function parseOwner(text: string): OwnerRecord | null {
  try {
    const value = JSON.parse(text) as Partial<OwnerRecord>;
    return Number.isInteger(value.pid) && Number.isInteger(value.port) ? (value as OwnerRecord) : null;
  } catch {
    return null;
  }
}
