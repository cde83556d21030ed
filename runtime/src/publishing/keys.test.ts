import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SqliteKeyTable } from '../store/keys.js';
import { SqliteStore } from '../store/store.js';
import { isInScope, KEY_PREFIX, KeyService } from './keys.js';

const root = fileURLToPath(new URL('../../.tmp-keys/', import.meta.url));
let counter = 0;
function openStore(): SqliteStore {
  const dir = join(root, `${process.pid}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return SqliteStore.open(dir);
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('KeyService', () => {
  it('shows the secret once, with a recognisable prefix, and stores only a salted hash', async () => {
    const store = openStore();
    const keys = new KeyService(store.keys);
    const created = await keys.create({ name: 'website', flows: ['chat'] });
    expect(created.key.startsWith(KEY_PREFIX)).toBe(true);
    expect(created.key).toMatch(/^flk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.key).toContain(created.id);
    // The secret is what follows `flk_<id>_` (it may itself contain '_').
    const secret = created.key.slice(`${KEY_PREFIX}${created.id}_`.length);
    expect(secret).toHaveLength(43);
    const row = store.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(created.id) as Record<string, unknown>;
    const stored = JSON.stringify(row, (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v));
    expect(stored).not.toContain(secret);
    expect((row.hash as Buffer).length).toBe(32);
    expect((row.salt as Buffer).length).toBe(16);
    expect(await keys.list()).toEqual([expect.not.objectContaining({ key: expect.anything() })]);
    expect(JSON.stringify(await keys.list())).not.toContain(secret);
    await store.close();
  });

  it('uses a different salt per key, so equal secrets would hash differently', async () => {
    const store = openStore();
    const keys = new KeyService(store.keys);
    const a = await keys.create({ name: 'a' });
    const b = await keys.create({ name: 'b' });
    const salts = store.db.prepare('SELECT salt FROM api_keys WHERE id IN (?, ?)').all(a.id, b.id) as {
      salt: Buffer;
    }[];
    expect(salts[0]?.salt.equals(salts[1]?.salt as Buffer)).toBe(false);
    await store.close();
  });

  it('verifies good keys and refuses missing, malformed, wrong, revoked and out-of-scope ones', async () => {
    const store = openStore();
    const keys = new KeyService(store.keys);
    const scoped = await keys.create({ name: 'scoped', flows: ['chat'] });
    const any = await keys.create({ name: 'any' });
    expect(await keys.verify(scoped.key, 'chat')).toMatchObject({ ok: true, key: { id: scoped.id, flows: ['chat'] } });
    expect(await keys.verify(any.key, 'other')).toMatchObject({ ok: true });
    expect(await keys.verify(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(await keys.verify('sk-not-ours')).toEqual({ ok: false, reason: 'malformed' });
    const wrong = `${scoped.key.slice(0, -1)}${scoped.key.endsWith('A') ? 'B' : 'A'}`;
    expect(await keys.verify(wrong, 'chat')).toEqual({ ok: false, reason: 'unknown' });
    expect(await keys.verify(`flk_000000000000_${'A'.repeat(43)}`)).toEqual({ ok: false, reason: 'unknown' });
    expect(await keys.verify(scoped.key, 'other')).toEqual({ ok: false, reason: 'out-of-scope' });
    await keys.revoke(scoped.id);
    expect(await keys.verify(scoped.key, 'chat')).toEqual({ ok: false, reason: 'revoked' });
    expect((await keys.get(scoped.id))?.revokedAt).toEqual(expect.any(String));
    await store.close();
  });

  it('refuses a key revoked by another process within moments, though its row was cached by earlier checks', async () => {
    const store = openStore();
    const keys = new KeyService(store.keys);
    const created = await keys.create({ name: 'shared' });
    for (let i = 0; i < 3; i++) expect(await keys.verify(created.key)).toMatchObject({ ok: true });
    // Another server on the same data folder (its own connection) revokes it.
    const other = new KeyService(new SqliteKeyTable(new Database(store.path)));
    await other.revoke(created.id);
    // Other connections' changes are looked for every 20 ms (a revocation made here applies at once, see above).
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(await keys.verify(created.key)).toEqual({ ok: false, reason: 'revoked' });
    // And a new key made elsewhere works here at once.
    const fresh = await other.create({ name: 'fresh' });
    expect(await keys.verify(fresh.key)).toMatchObject({ ok: true, key: { id: fresh.id } });
    await store.close();
  });

  it('records last use in memory and writes it in one batch', async () => {
    const store = openStore();
    const keys = new KeyService(store.keys);
    const created = await keys.create({ name: 'k' });
    expect((await keys.get(created.id))?.lastUsedAt).toBeNull();
    await keys.verify(created.key);
    await keys.verify(created.key);
    const row = () =>
      store.db.prepare('SELECT lastUsedAt FROM api_keys WHERE id = ?').get(created.id) as { lastUsedAt: string | null };
    // Not written per request...
    expect(row().lastUsedAt).toBeNull();
    // ...but visible in the API at once, and stored on flush.
    expect((await keys.get(created.id))?.lastUsedAt).toEqual(expect.any(String));
    await keys.flush();
    expect(row().lastUsedAt).toEqual((await keys.get(created.id))?.lastUsedAt);
    await store.close();
  });

  it('refuses to revoke an unknown key', async () => {
    const store = openStore();
    const keys = new KeyService(store.keys);
    await expect(keys.revoke('0123456789ab')).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    await expect(keys.revoke('not-an-id')).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    await store.close();
  });

  it('treats an empty scope as every flow', () => {
    expect(isInScope({ flows: [] }, 'x')).toBe(true);
    expect(isInScope({ flows: ['a'] }, 'x')).toBe(false);
  });
});

describe('last-used times', () => {
  it('keeps pending last-used times when the timed write fails (database locked), reports it and does not crash', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = openStore();
      store.db.pragma('busy_timeout = 0');
      const errors: unknown[] = [];
      const keys = new KeyService(store.keys, { onFlushError: (err) => errors.push(err) });
      const created = await keys.create({ name: 'ci' });
      const other = new Database(store.path);
      other.exec('BEGIN IMMEDIATE');
      expect((await keys.verify(created.key)).ok).toBe(true);
      // The batched write fires while the lock is held; before the fix it threw out of the timer.
      await vi.runAllTimersAsync();
      expect(errors).toEqual([expect.objectContaining({ code: 'SQLITE_BUSY' })]);
      other.exec('COMMIT');
      other.close();
      await keys.flush();
      const row = store.db.prepare('SELECT lastUsedAt FROM api_keys WHERE id = ?').get(created.id) as {
        lastUsedAt: string | null;
      };
      expect(row.lastUsedAt).not.toBeNull();
      await store.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
