import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * The ownership of the runs a store writes: an id stamped on each run row (`owner`), and a lock on that id that is held
 * as long as the process lives and that the operating system (SQLite) or the database (Postgres) lets go when it dies,
 * however it dies. Crash recovery asks the lock, not the pid: a killed process that is still a zombie, or a pid used
 * again by another process, no longer holds it (docs/adr/0008-owner-locks-for-crash-recovery.md).
 */
export interface OwnerLock {
  /** A random positive 63-bit integer in decimal (a Postgres advisory lock key as it is). */
  readonly id: string;
  /** True while the process that took `id` holds its lock (this process's own id included). */
  isHeld(id: string): Promise<boolean>;
  /** Lets go of the lock (closing the store). */
  release(): Promise<void>;
}

/** A new owner id: random, positive, below 2^63. */
export function newOwnerId(): string {
  return (randomBytes(8).readBigUInt64BE() >> 1n).toString();
}

const OWNER_ID = /^\d{1,19}$/;

/**
 * SQLite: each owner holds an exclusive lock (SQLite's own file lock: fcntl, or LockFileEx on Windows) on a small
 * database file of its own, `<data>/owners/<id>.lock`, in a transaction it never ends. The kernel drops the lock the
 * moment the process's files are closed, which happens as it dies (before it is a zombie). Another process tests it by
 * trying the same lock without waiting: busy means held; taken means the owner is gone (its file is removed then).
 */
export class SqliteOwnerLock implements OwnerLock {
  readonly id = newOwnerId();
  readonly #dir: string;
  #db: Database.Database | undefined;

  constructor(dataDir: string) {
    this.#dir = join(dataDir, 'owners');
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const path = this.#path(this.id);
    const db = new Database(path);
    try {
      chmodSync(path, 0o600);
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      throw err;
    }
    this.#db = db;
  }

  #path(id: string): string {
    return join(this.#dir, `${id}.lock`);
  }

  async isHeld(id: string): Promise<boolean> {
    return this.isHeldNow(id);
  }

  /** `isHeld`, synchronously (SQLite's lock needs no round trip). */
  isHeldNow(id: string): boolean {
    if (id === this.id) return this.#db !== undefined;
    if (!OWNER_ID.test(id)) return false;
    let db: Database.Database;
    try {
      db = new Database(this.#path(id), { fileMustExist: true, timeout: 0 });
    } catch {
      return false; // no lock file: its owner let go of it, or never took it
    }
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
      throw err;
    }
    db.exec('ROLLBACK');
    db.close();
    rmSync(this.#path(id), { force: true });
    return false;
  }

  async release(): Promise<void> {
    const db = this.#db;
    if (!db) return;
    this.#db = undefined;
    db.close();
    rmSync(this.#path(this.id), { force: true });
    // The folder goes with its last lock, so a closed store leaves its data folder as it found it.
    try {
      rmdirSync(this.#dir);
    } catch {
      // Another owner's lock is in it, or it is gone already.
    }
  }
}

/**
 * Postgres: each owner holds a session-level advisory lock keyed by its id on a connection of its own, outside the pool,
 * for as long as it lives; when the process dies, the server ends its session and the lock with it. Another process
 * tests it with `pg_try_advisory_xact_lock` (released again at once, with its transaction). The lock works across
 * machines, so recovery need not be limited to one host. A lost lock connection is opened again (and the lock taken
 * again); meanwhile other processes may count this one as gone (the runs it then finishes still end as they really did,
 * see the store's fencing).
 */
export class PgOwnerLock implements OwnerLock {
  readonly id = newOwnerId();
  readonly #config: pg.ClientConfig;
  readonly #pool: pg.Pool;
  #client: pg.Client | undefined;
  #isReleased = false;
  #retry: NodeJS.Timeout | undefined;

  private constructor(config: pg.ClientConfig, pool: pg.Pool) {
    this.#config = config;
    this.#pool = pool;
  }

  /** Connects the lock's own session and takes the lock. */
  static async take(config: pg.ClientConfig, pool: pg.Pool): Promise<PgOwnerLock> {
    const lock = new PgOwnerLock(config, pool);
    await lock.#connect();
    return lock;
  }

  async #connect(): Promise<void> {
    // pg is loaded here, not at import: the SQLite store (the embedded default) shares this module and never needs it.
    const { default: postgres } = await import('pg');
    const client = new postgres.Client({ ...this.#config, keepAlive: true, application_name: 'flowloom owner lock' });
    // A lost session is opened again (the store's own queries report a database that went away).
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [this.id]);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.#client = client;
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client || this.#isReleased) return;
    this.#client = undefined;
    const again = () => {
      this.#retry = undefined;
      if (this.#isReleased) return;
      this.#connect().catch(() => {
        this.#retry = setTimeout(again, 1_000);
        this.#retry.unref();
      });
    };
    again();
  }

  async isHeld(id: string): Promise<boolean> {
    if (id === this.id) return this.#client !== undefined;
    if (!OWNER_ID.test(id)) return false;
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS taken', [
        id,
      ]);
      await client.query('COMMIT');
      return rows[0]?.taken !== true;
    } finally {
      client.release();
    }
  }

  async release(): Promise<void> {
    this.#isReleased = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
