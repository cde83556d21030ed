import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';

/**
 * Creates a folder (and its missing parents) readable by its owner only (0700): the data folder and what is under it
 * hold runs, flows, uploads and keys. A folder that exists already keeps its mode (the operator's choice).
 */
export function createPrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** `createPrivateDir`, without blocking. */
export async function createPrivateDirAsync(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Creates an empty file readable by its owner only (0600) unless it exists: opened afterwards by a library that would
 * create it with the default mode (SQLite gives its WAL and shared-memory files the database file's mode).
 */
export function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * Creates a file with its whole content, owner-only (0600), unless it exists; true when this call made it. Several
 * processes started at once on one data folder may each try: the first to link its complete draft in place wins, and
 * none ever sees the file empty or half written (as opening it with O_EXCL and then writing would let them).
 */
export function createFileOnce(path: string, content: string): boolean {
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, content, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    unlinkSync(draft);
  }
}
