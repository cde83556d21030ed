import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBin } from '../testing/bin.js';
import { removeTempDir, tempDir } from '../testing/fixtures.js';
import { SECRET_KEY_FILE, SecretBox } from './secrets.js';

const dirs: string[] = [];

beforeAll(() => {
  // The child processes import the built module.
  buildBin();
});

afterAll(() => {
  for (const dir of dirs) removeTempDir(dir);
});

/** A fresh data folder, removed after the suite. */
function dataDir(): string {
  const dir = tempDir('secrets');
  dirs.push(dir);
  return dir;
}

/** Runs `SecretBox.open(dir)` in `count` processes at the same moment; each answers a value it sealed, or its error. */
async function openAtOnce(dir: string, count: number): Promise<{ code: number | null; out: string; err: string }[]> {
  const module = pathToFileURL(join(import.meta.dirname, '../../dist/providers/secrets.js')).href;
  const at = Date.now() + 1500;
  // Each process waits for the same instant before opening the folder, so their first steps overlap.
  const script = `import { SecretBox } from ${JSON.stringify(module)};
    while (Date.now() < ${at}) {}
    process.stdout.write(JSON.stringify(SecretBox.open(process.argv[1]).seal('sk-same')));`;
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: 'pipe' });
          let out = '';
          let err = '';
          child.stdout.on('data', (chunk) => {
            out += chunk;
          });
          child.stderr.on('data', (chunk) => {
            err += chunk;
          });
          child.on('exit', (code) => resolve({ code, out, err }));
        }),
    ),
  );
}

describe('the key file of a data folder', () => {
  it('is made once when several processes open a fresh folder at once (an api and a worker starting together)', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = dataDir();
      const answers = await openAtOnce(dir, 6);
      expect(answers.map((a) => a.err)).toEqual(answers.map(() => ''));
      expect(answers.map((a) => a.code)).toEqual(answers.map(() => 0));
      // One key for all: what each process sealed, this one opens.
      const box = SecretBox.open(dir);
      for (const answer of answers) expect(box.open(JSON.parse(answer.out))).toBe('sk-same');
      // Owner-only, and no draft left behind.
      expect(statSync(join(dir, SECRET_KEY_FILE)).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir)).toEqual([SECRET_KEY_FILE]);
    }
  }, 60_000);

  it('keeps the key it made: a second open reads the same one', () => {
    const dir = dataDir();
    const sealed = SecretBox.open(dir).seal('sk-kept');
    expect(SecretBox.open(dir).open(sealed)).toBe('sk-kept');
  });
});
