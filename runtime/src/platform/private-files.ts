import { closeSync, mkdirSync, openSync } from 'node:fs';
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
