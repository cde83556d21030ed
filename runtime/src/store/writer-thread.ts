// The store's writer thread: commits run rows, events and final states on its own SQLite connection, so the
// server's event loop never waits for a write (see WriterThread in group-commit.ts for the protocol).
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { SyncReply, WriterData, WriterRequest } from './group-commit.js';
import { BatchWriter, configureConnection, FAILED_TO_START, STARTED, type WriteBatch } from './row-writes.js';

const { path, busyTimeoutMs, signal, syncPort } = workerData as WriterData & { syncPort: MessagePort };
const flag = new Int32Array(signal);

/**
 * Opens the thread's connection and says so in the signal. If it cannot, the signal says that too (a request blocked
 * on this thread stops waiting at once) and the error ends the thread (the store then writes on its own connection).
 */
function open(): { db: Database.Database; writer: BatchWriter } {
  let db: Database.Database | undefined;
  try {
    // The store created and migrated the file before starting this thread: never create one (say, in a folder
    // that is being removed).
    db = new Database(path, { fileMustExist: true });
    configureConnection(db, busyTimeoutMs);
    return { db, writer: new BatchWriter(db) };
  } catch (err) {
    db?.close();
    throw err;
  } finally {
    Atomics.store(flag, 1, db?.open ? STARTED : FAILED_TO_START);
    Atomics.add(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
}
const { db, writer } = open();
/** Batches received and not yet committed (a failed commit keeps them for the next try). */
let pending: WriteBatch[] = [];
/** The highest batch seq committed. */
let committed = 0;
let commitScheduled = false;
/** After a failed background commit (e.g. another process holds the lock), the next try waits this long. */
let retryDelayMs = 0;
let retryTimer: NodeJS.Timeout | undefined;
const MAX_RETRY_DELAY_MS = 10_000;

/** Commits every pending batch; on failure keeps them and returns the error. */
function commit(): Error | undefined {
  if (pending.length === 0) return undefined;
  if (!db.open) return new Error("the store's writer thread was stopped");
  try {
    writer.write(pending);
    committed = pending[pending.length - 1]?.seq ?? committed;
    pending = [];
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

function commitInBackground(): void {
  commitScheduled = false;
  if (!db.open) return;
  clearTimeout(retryTimer);
  retryTimer = undefined;
  const error = commit();
  if (!error) {
    retryDelayMs = 0;
    parentPort?.postMessage({ type: 'ack', committed });
    return;
  }
  parentPort?.postMessage({ type: 'error', message: error.message, code: errorCode(error) });
  // Try again on its own, backing off, so the batches land once the lock is free even if nothing else comes.
  retryDelayMs = Math.min(MAX_RETRY_DELAY_MS, retryDelayMs === 0 ? 250 : retryDelayMs * 2);
  retryTimer = setTimeout(commitInBackground, retryDelayMs);
}

/** Answers a blocked `flush`/`close` on the store: the reply on the sync port, then a wake-up through the flag. */
function reply(message: SyncReply): void {
  syncPort.postMessage(message);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
}

parentPort?.on('message', (request: WriterRequest) => {
  if (request.type === 'stop') {
    // The store stopped waiting for this thread: end once idle (no timer, no open port).
    clearTimeout(retryTimer);
    retryTimer = undefined;
    if (db.open) db.close();
    syncPort.close();
    parentPort?.close();
    return;
  }
  if (request.type === 'batch') {
    pending.push(request.batch);
    // Batches that arrived together share one commit.
    if (!commitScheduled) {
      commitScheduled = true;
      setImmediate(commitInBackground);
    }
    return;
  }
  const error = commit();
  if (!error) {
    clearTimeout(retryTimer);
    retryTimer = undefined;
  }
  if (request.type === 'close' && !error) db.close();
  reply({
    id: request.id,
    committed,
    ...(error && { error: { message: error.message, code: errorCode(error) } }),
  });
});

function errorCode(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
