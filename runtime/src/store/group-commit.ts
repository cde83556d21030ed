import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { spawnServiceWorker } from '../platform/worker-module.js';
import { FAILED_TO_START, type WriteBatch } from './row-writes.js';

/** What the writer thread is started with. */
export interface WriterData {
  path: string;
  busyTimeoutMs: number;
  /**
   * Int32 [0]: bumped by the thread each time it answers a sync or close request, and once when it has started.
   * Int32 [1]: 0 while the thread starts, then STARTED or FAILED_TO_START (row-writes.ts).
   */
  signal: SharedArrayBuffer;
}

export type WriterRequest =
  | { type: 'batch'; batch: WriteBatch }
  | { type: 'sync' | 'close'; id: number }
  | { type: 'stop' };

/** The thread's answer to a sync or close request, on the sync port. */
export interface SyncReply {
  id: number;
  /** The highest batch seq committed so far. */
  committed: number;
  error?: { message: string; code?: string };
}

/** What the thread tells in the background, on its parent port. */
type WriterNotice = { type: 'ack'; committed: number } | { type: 'error'; message: string; code?: string };

/**
 * How long a blocked sync waits for the thread beyond twice its busy timeout (a commit may wait that long for another
 * process's lock, and a retry as long again) before it takes the thread for dead.
 */
const SYNC_GRACE_MS = 1000;
/** How long a blocked request waits for a thread that is still starting (loading its module, opening the file). */
const STARTUP_TIMEOUT_MS = 30_000;

export interface WriterThreadHooks {
  /** A background commit failed; the thread keeps the batches and retries with the next one. */
  onError: (err: Error) => void;
  /** The thread is gone (crashed or failed to start): `unacked` holds what may not be committed. */
  onExit: (err: Error) => void;
}

/**
 * The store's writer thread, seen from the store. `post` hands a batch over and returns at once; `sync` blocks the
 * calling thread (Atomics.wait, about a commit's time) until every batch posted before it is committed, so a read
 * that follows it sees everything. Batches stay in `unacked` until the thread says they are committed: if it dies
 * they can be written again elsewhere, since every write in a batch is idempotent.
 */
export class WriterThread {
  readonly #worker: Worker;
  readonly #flag: Int32Array;
  readonly #syncPort: MessagePort;
  readonly #hooks: WriterThreadHooks;
  readonly #syncTimeoutMs: number;
  #unacked: WriteBatch[] = [];
  #nextId = 0;
  #gone = false;
  /** Settles when the thread has ended (closed, stopped or crashed). */
  readonly exited: Promise<void>;

  constructor(path: string, busyTimeoutMs: number, hooks: WriterThreadHooks) {
    this.#hooks = hooks;
    this.#syncTimeoutMs = 2 * busyTimeoutMs + SYNC_GRACE_MS;
    const signal = new SharedArrayBuffer(8);
    this.#flag = new Int32Array(signal);
    const { port1, port2 } = new MessageChannel();
    this.#syncPort = port1;
    const workerData: WriterData & { syncPort: MessagePort } = { path, busyTimeoutMs, signal, syncPort: port2 };
    this.#worker = spawnServiceWorker(import.meta.url, 'writer-thread', { workerData, transferList: [port2] });
    this.#worker.on('message', (notice: WriterNotice) => {
      if (notice.type === 'ack') this.#acknowledge(notice.committed);
      else this.#hooks.onError(toError(notice));
    });
    this.#worker.on('error', (err) => this.#lost(err));
    this.exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.on('exit', (code) => this.#lost(new Error(`the store's writer thread exited (code ${code})`)));
    // The thread keeps the process alive only while it holds batches not yet committed (see post/#acknowledge).
    this.#worker.unref();
  }

  /** False once the thread is gone (crashed, failed to start, or closed). */
  get isAlive(): boolean {
    return !this.#gone;
  }

  /** Batches posted and not yet known to be committed, oldest first. */
  get unacked(): readonly WriteBatch[] {
    return this.#unacked;
  }

  post(batch: WriteBatch): void {
    if (this.#unacked.length === 0) this.#worker.ref();
    this.#unacked.push(batch);
    this.#worker.postMessage({ type: 'batch', batch } satisfies WriterRequest);
  }

  /**
   * Blocks until everything posted is committed. Throws what the commit threw (the batches stay queued). A thread that
   * does not answer in time is taken for dead: it is stopped and `onExit` runs before this returns.
   */
  sync(): void {
    if (this.#unacked.length === 0) return;
    this.#request('sync');
  }

  /**
   * Commits what is posted, then stops the thread and its connection, whatever happens: if the last commit fails it
   * throws, and `unacked` holds what is not committed. Waits for the thread to close its connection even with nothing
   * to commit: a thread still starting would otherwise open (and create) the database after the caller moved or
   * removed its folder.
   */
  close(): void {
    if (this.#gone) return;
    try {
      this.#request('close');
    } finally {
      this.#stop();
    }
  }

  /**
   * Asks the thread to stop (it closes its connection and ends once idle) and stops waiting for it. Never
   * `terminate()`: a thread stopped inside a failing SQLite call (e.g. waiting for a lock) brings the whole process
   * down (better-sqlite3 cannot throw into a terminating isolate). A thread that is stuck stops when it comes back;
   * whatever it writes meanwhile is written again by the store, harmlessly (every write is idempotent).
   */
  #stop(): void {
    this.#gone = true;
    this.#syncPort.close();
    this.#worker.postMessage({ type: 'stop' } satisfies WriterRequest);
    this.#worker.unref();
  }

  /**
   * Stops the thread at once, as a crash would (tests, diagnostics): `onExit` follows. Only while no commit can fail
   * (see #stop).
   */
  async kill(): Promise<void> {
    await this.#worker.terminate();
  }

  #request(type: 'sync' | 'close'): void {
    if (this.#gone) throw new Error("the store's writer thread is gone");
    const id = ++this.#nextId;
    this.#worker.postMessage({ type, id } satisfies WriterRequest);
    // The answer time counts from when the thread is up: starting it (seconds under load) is not a sign of death.
    const askedAt = Date.now();
    let upAt: number | undefined;
    for (;;) {
      const state = Atomics.load(this.#flag, 1);
      if (state === FAILED_TO_START) {
        this.#lost(new Error("the store's writer thread could not open the database"));
        return;
      }
      if (upAt === undefined && state !== 0) upAt = Date.now();
      const deadline =
        upAt === undefined ? askedAt + STARTUP_TIMEOUT_MS : Math.max(askedAt, upAt) + this.#syncTimeoutMs;
      // Read before looking at the port: a reply posted after the look bumps it, so the wait returns at once.
      const seen = Atomics.load(this.#flag, 0);
      // The thread may have answered earlier requests that timed out: skip their replies.
      let reply: SyncReply | undefined;
      for (let got = receiveMessageOnPort(this.#syncPort); got; got = receiveMessageOnPort(this.#syncPort)) {
        const message = got.message as SyncReply;
        if (message.id === id) {
          reply = message;
          break;
        }
      }
      if (reply) {
        this.#acknowledge(reply.committed);
        if (reply.error) throw toError(reply.error);
        return;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        // Dead or stuck (its exit event cannot reach a blocked event loop): stop it, and the store takes over.
        const what = upAt === undefined ? `start within ${STARTUP_TIMEOUT_MS}` : `answer within ${this.#syncTimeoutMs}`;
        this.#lost(new Error(`the store's writer thread did not ${what} ms`));
        return;
      }
      Atomics.wait(this.#flag, 0, seen, left);
    }
  }

  #acknowledge(committed: number): void {
    let done = 0;
    while (done < this.#unacked.length && (this.#unacked[done] as WriteBatch).seq <= committed) done++;
    if (done === 0) return;
    this.#unacked = this.#unacked.slice(done);
    if (this.#unacked.length === 0) this.#worker.unref();
  }

  #lost(err: Error): void {
    if (this.#gone) return;
    this.#stop();
    this.#hooks.onExit(err);
  }
}

function toError(body: { message: string; code?: string }): Error {
  const err = new Error(body.message) as Error & { code?: string };
  if (body.code !== undefined) err.code = body.code;
  return err;
}
