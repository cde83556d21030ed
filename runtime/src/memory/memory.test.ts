import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteMemoryTable } from '../store/memory.js';
import { createMemoryService } from './memory.js';

const dir = mkdtempSync(join(import.meta.dirname, '../../.tmp-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite chat memory', () => {
  it('appends and reads a window of the latest messages, oldest first, per session and namespace', async () => {
    const db = new Database(join(dir, 'a.db'));
    const memory = createMemoryService(new SqliteMemoryTable(db));
    await memory.append(
      's1',
      [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'two' },
        { role: 'user', content: 'three' },
      ],
      { namespace: 'default' },
    );
    await memory.append('s2', [{ role: 'user', content: 'other session' }], { namespace: 'default' });
    await memory.append('s1', [{ role: 'user', content: 'other namespace' }], { namespace: 'notes' });
    expect((await memory.read('s1', { namespace: 'default', limit: 2 })).map((m) => m.content)).toEqual([
      'two',
      'three',
    ]);
    expect(await memory.read('s1', { namespace: 'default', limit: 10 })).toHaveLength(3);
    expect((await memory.read('s2', { namespace: 'default', limit: 10 })).map((m) => m.content)).toEqual([
      'other session',
    ]);
    expect((await memory.read('s1', { namespace: 'notes', limit: 10 })).map((m) => m.content)).toEqual([
      'other namespace',
    ]);
    db.close();
  });

  it('keeps history across reopening the database and prunes past the cap', async () => {
    const path = join(dir, 'b.db');
    const first = new Database(path);
    const memory = createMemoryService(new SqliteMemoryTable(first), { maxMessagesPerSession: 3 });
    for (let i = 0; i < 5; i++) await memory.append('s', [{ role: 'user', content: `m${i}` }], { namespace: 'n' });
    first.close();
    const second = new Database(path);
    const again = createMemoryService(new SqliteMemoryTable(second));
    expect((await again.read('s', { namespace: 'n', limit: 100 })).map((m) => m.content)).toEqual(['m2', 'm3', 'm4']);
    await again.clear('s');
    expect(await again.read('s', { namespace: 'n', limit: 100 })).toEqual([]);
    second.close();
  });

  it('refuses bad session ids and messages without a role', async () => {
    const db = new Database(join(dir, 'c.db'));
    const memory = createMemoryService(new SqliteMemoryTable(db));
    await expect(memory.read('', { namespace: 'n', limit: 1 })).rejects.toMatchObject({ code: 'NODE_INPUT_INVALID' });
    await expect(
      memory.append('s', [{ role: 'robot', content: 'x' } as never], { namespace: 'n' }),
    ).rejects.toMatchObject({ code: 'NODE_INPUT_INVALID' });
    expect(await memory.read('s', { namespace: 'n', limit: 5 })).toEqual([]);
    db.close();
  });
});
