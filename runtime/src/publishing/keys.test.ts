import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { KeyTable } from '../store/keys.js';
import { Store } from '../store/store.js';
import { isInScope, KEY_PREFIX, KeyService } from './keys.js';

const root = fileURLToPath(new URL('../../.tmp-keys/', import.meta.url));
let counter = 0;
function openStore(): Store {
  const dir = join(root, `${process.pid}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return Store.open(dir);
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('KeyService', () => {
  it('shows the secret once, with a recognisable prefix, and stores only a salted hash', () => {
    const store = openStore();
    const keys = new KeyService(store.keys);
    const created = keys.create({ name: 'website', flows: ['chat'] });
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
    expect(keys.list()).toEqual([expect.not.objectContaining({ key: expect.anything() })]);
    expect(JSON.stringify(keys.list())).not.toContain(secret);
    store.close();
  });

  it('uses a different salt per key, so equal secrets would hash differently', () => {
    const store = openStore();
    const keys = new KeyService(store.keys);
    const a = keys.create({ name: 'a' });
    const b = keys.create({ name: 'b' });
    const salts = store.db.prepare('SELECT salt FROM api_keys WHERE id IN (?, ?)').all(a.id, b.id) as {
      salt: Buffer;
    }[];
    expect(salts[0]?.salt.equals(salts[1]?.salt as Buffer)).toBe(false);
    store.close();
  });

  it('verifies good keys and refuses missing, malformed, wrong, revoked and out-of-scope ones', () => {
    const store = openStore();
    const keys = new KeyService(store.keys);
    const scoped = keys.create({ name: 'scoped', flows: ['chat'] });
    const any = keys.create({ name: 'any' });
    expect(keys.verify(scoped.key, 'chat')).toMatchObject({ ok: true, key: { id: scoped.id, flows: ['chat'] } });
    expect(keys.verify(any.key, 'other')).toMatchObject({ ok: true });
    expect(keys.verify(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(keys.verify('sk-not-ours')).toEqual({ ok: false, reason: 'malformed' });
    const wrong = `${scoped.key.slice(0, -1)}${scoped.key.endsWith('A') ? 'B' : 'A'}`;
    expect(keys.verify(wrong, 'chat')).toEqual({ ok: false, reason: 'unknown' });
    expect(keys.verify(`flk_000000000000_${'A'.repeat(43)}`)).toEqual({ ok: false, reason: 'unknown' });
    expect(keys.verify(scoped.key, 'other')).toEqual({ ok: false, reason: 'out-of-scope' });
    keys.revoke(scoped.id);
    expect(keys.verify(scoped.key, 'chat')).toEqual({ ok: false, reason: 'revoked' });
    expect(keys.get(scoped.id)?.revokedAt).toEqual(expect.any(String));
    store.close();
  });

  it('refuses a key revoked by another process within moments, though its row was cached by earlier checks', async () => {
    const store = openStore();
    const keys = new KeyService(store.keys);
    const created = keys.create({ name: 'shared' });
    for (let i = 0; i < 3; i++) expect(keys.verify(created.key)).toMatchObject({ ok: true });
    // Another server on the same data folder (its own connection) revokes it.
    const other = new KeyService(new KeyTable(new Database(store.path)));
    other.revoke(created.id);
    // Other connections' changes are looked for every 20 ms (a revocation made here applies at once, see above).
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(keys.verify(created.key)).toEqual({ ok: false, reason: 'revoked' });
    // And a new key made elsewhere works here at once.
    const fresh = other.create({ name: 'fresh' });
    expect(keys.verify(fresh.key)).toMatchObject({ ok: true, key: { id: fresh.id } });
    store.close();
  });

  it('records last use in memory and writes it in one batch', () => {
    const store = openStore();
    const keys = new KeyService(store.keys);
    const created = keys.create({ name: 'k' });
    expect(keys.get(created.id)?.lastUsedAt).toBeNull();
    keys.verify(created.key);
    keys.verify(created.key);
    const row = () =>
      store.db.prepare('SELECT lastUsedAt FROM api_keys WHERE id = ?').get(created.id) as { lastUsedAt: string | null };
    // Not written per request...
    expect(row().lastUsedAt).toBeNull();
    // ...but visible in the API at once, and stored on flush.
    expect(keys.get(created.id)?.lastUsedAt).toEqual(expect.any(String));
    keys.flush();
    expect(row().lastUsedAt).toEqual(keys.get(created.id)?.lastUsedAt);
    store.close();
  });

  it('refuses to revoke an unknown key', () => {
    const store = openStore();
    const keys = new KeyService(store.keys);
    expect(() => keys.revoke('0123456789ab')).toThrow(expect.objectContaining({ code: 'KEY_NOT_FOUND' }));
    expect(() => keys.revoke('not-an-id')).toThrow(expect.objectContaining({ code: 'KEY_NOT_FOUND' }));
    store.close();
  });

  it('treats an empty scope as every flow', () => {
    expect(isInScope({ flows: [] }, 'x')).toBe(true);
    expect(isInScope({ flows: ['a'] }, 'x')).toBe(false);
  });
});

describe('last-used times', () => {
  it('keeps pending last-used times when the timed write fails (database locked), reports it and does not crash', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const store = openStore();
      store.db.pragma('busy_timeout = 0');
      const errors: unknown[] = [];
      const keys = new KeyService(store.keys, { onFlushError: (err) => errors.push(err) });
      const created = keys.create({ name: 'ci' });
      const other = new Database(store.path);
      other.exec('BEGIN IMMEDIATE');
      expect(keys.verify(created.key).ok).toBe(true);
      // The batched write fires while the lock is held; before the fix it threw out of the timer.
      expect(() => vi.runAllTimers()).not.toThrow();
      expect(errors).toEqual([expect.objectContaining({ code: 'SQLITE_BUSY' })]);
      other.exec('COMMIT');
      other.close();
      keys.flush();
      const row = store.db.prepare('SELECT lastUsedAt FROM api_keys WHERE id = ?').get(created.id) as {
        lastUsedAt: string | null;
      };
      expect(row.lastUsedAt).not.toBeNull();
      store.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
