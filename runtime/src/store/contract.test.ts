import type { FlowFile, RunStatus, TraceEvent } from '@flowloom/nodes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_BACKENDS, type StoreBackend, type StorePlace, type TestStoreOptions } from '../testing/stores.js';
import { MIGRATIONS } from './migrations.js';
import { PG_MIGRATIONS } from './postgres/migrations.js';
import type { Store } from './types.js';

// The Store interface, the same tests on both backends: whatever the runtime does through a store behaves alike on
// SQLite and Postgres.

const flow: FlowFile = {
  format: 'flowloom.flow/v1',
  id: 'echo',
  name: 'Echo',
  description: 'Says it again.',
  tags: ['demo'],
  nodes: [
    { id: 'q', type: 'input', position: { x: 0, y: 0 } },
    { id: 'a', type: 'output', position: { x: 200, y: 0 } },
  ],
  edges: [{ id: 'e1', source: 'q', sourcePort: 'value', target: 'a', targetPort: 'value' }],
};

function event(runId: string, seq: number, type: TraceEvent['type'] = 'node.log', message = `m${seq}`): TraceEvent {
  return { runId, seq, at: new Date().toISOString(), type, flowId: 'echo', data: { message } } as TraceEvent;
}

function insertRun(store: Store, runId: string, extra: { status?: RunStatus; startedAt?: string } = {}): void {
  store.insertRun({
    runId,
    flowId: 'echo',
    flowVersion: 1,
    status: extra.status ?? 'running',
    inputs: { q: runId },
    startedAt: extra.startedAt ?? new Date().toISOString(),
  });
}

function end(status: RunStatus = 'completed') {
  return { status, outputs: { a: 'done' }, endedAt: new Date().toISOString(), durationMs: 12.4 };
}

it('both backends have the same schema history: every SQLite migration is written for Postgres too', () => {
  const history = (list: typeof MIGRATIONS) => list.map(({ version, name }) => ({ version, name }));
  expect(history(PG_MIGRATIONS)).toEqual(history(MIGRATIONS));
});

describe.each(STORE_BACKENDS)('store on $kind', ({ kind, create }) => {
  let backend: StoreBackend;
  beforeAll(() => {
    backend = create();
  });
  afterAll(() => backend.cleanup());

  /** A store on a fresh place, collecting background errors (none expected). */
  async function fresh(
    options: TestStoreOptions = {},
  ): Promise<{ store: Store; place: StorePlace; errors: unknown[] }> {
    const place = await backend.place();
    const errors: unknown[] = [];
    const store = await place.open({ onError: (err) => errors.push(err), ...options });
    return { store, place, errors };
  }

  it(`is a ${kind} store at the current schema version, and reopening keeps the data`, async () => {
    const { store, place } = await fresh();
    expect(store.kind).toBe(kind);
    expect(await store.ping()).toBe(true);
    expect(() => store.assertAvailable()).not.toThrow();
    await store.createFlow(flow);
    await store.close();
    const versions = await place.sql({
      sqlite: 'SELECT MAX(version) AS version FROM schema_migrations',
      postgres: 'SELECT MAX(version) AS version FROM schema_migrations',
    });
    expect(versions).toEqual([{ version: MIGRATIONS.at(-1)?.version }]);
    const again = await place.open();
    expect((await again.getFlow('echo'))?.version).toBe(1);
  });

  describe('flows', () => {
    it('keeps every saved version, bumps the draft, and lists summaries', async () => {
      const { store } = await fresh();
      const created = await store.createFlow(flow);
      expect(created).toMatchObject({ version: 1, flow: { id: 'echo', version: 1 } });
      expect(created.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const renamed = await store.updateFlow({ ...flow, name: 'Echo 2' });
      expect(renamed.version).toBe(2);
      expect(renamed.flow).toMatchObject({ name: 'Echo 2', version: 2 });
      expect(renamed.createdAt).toBe(created.createdAt);
      expect((await store.listFlowVersions('echo')).map((v) => v.version)).toEqual([2, 1]);
      expect((await store.getFlowVersion('echo', 1))?.flow.name).toBe('Echo');
      expect(await store.getFlowVersion('echo', 9)).toBeUndefined();
      expect(await store.getFlowText('echo')).toContain('"name": "Echo 2"');
      expect(await store.listFlows()).toEqual([
        {
          id: 'echo',
          name: 'Echo 2',
          description: 'Says it again.',
          tags: ['demo'],
          version: 2,
          createdAt: created.createdAt,
          updatedAt: renamed.updatedAt,
        },
      ]);
    });

    it('refuses a duplicate id, a stale version and an unknown flow without writing', async () => {
      const { store } = await fresh();
      await store.createFlow(flow);
      await expect(store.createFlow(flow)).rejects.toMatchObject({ code: 'FLOW_EXISTS' });
      await expect(store.updateFlow(flow, 7)).rejects.toMatchObject({ code: 'FLOW_VERSION_CONFLICT', status: 409 });
      await expect(store.updateFlow({ ...flow, id: 'nope' })).rejects.toMatchObject({ code: 'FLOW_NOT_FOUND' });
      expect(await store.listFlowVersions('echo')).toHaveLength(1);
      expect(await store.deleteFlow('echo')).toBe(true);
      expect(await store.deleteFlow('echo')).toBe(false);
      expect(await store.listFlowVersions('echo')).toEqual([]);
      expect(await store.getFlow('echo')).toBeUndefined();
      expect(await store.getFlowText('echo')).toBeUndefined();
    });

    it('lets one of two saves of the same version through and refuses the other', async () => {
      const { store } = await fresh();
      await store.createFlow(flow);
      const saves = await Promise.allSettled([
        store.updateFlow({ ...flow, name: 'A' }, 1),
        store.updateFlow({ ...flow, name: 'B' }, 1),
      ]);
      expect(saves.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(saves.find((s) => s.status === 'rejected')).toMatchObject({
        reason: { code: 'FLOW_VERSION_CONFLICT' },
      });
      expect((await store.listFlowVersions('echo')).map((v) => v.version)).toEqual([2, 1]);
    });
  });

  describe('runs (group commit)', () => {
    it('queues rows, events and final states, and reads see them at once', async () => {
      const { store, errors } = await fresh({ flushDelayMs: 60_000 });
      store.insertRun({
        runId: 'r_1',
        flowId: 'echo',
        flowVersion: 1,
        status: 'running',
        inputs: { q: 'hi' },
        startedAt: new Date().toISOString(),
        sessionId: 's1',
        parentRunId: 'r_0',
        depth: 1,
      });
      for (let seq = 0; seq < 5; seq++) store.enqueueEvent(event('r_1', seq), 1);
      expect((await store.getEvents('r_1')).map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
      expect(await store.getRun('r_1')).toMatchObject({ status: 'running', attempt: 1, inputs: { q: 'hi' } });
      store.enqueueEvent(event('r_1', 5, 'run.completed'), 1);
      store.finishRun('r_1', 1, {
        ...end(),
        error: { code: 'PROVIDER_ERROR', message: 'x' },
        usage: { promptTokens: 3, completionTokens: 4 },
        costUsd: 0.25,
      });
      expect(await store.getEvents('r_1')).toHaveLength(6);
      expect((await store.getEvents('r_1', 3)).map((e) => e.seq)).toEqual([4, 5]);
      expect(await store.getEvents('r_1', 5)).toEqual([]);
      const run = await store.getRun('r_1');
      expect(run).toEqual({
        runId: 'r_1',
        flowId: 'echo',
        flowVersion: 1,
        status: 'completed',
        inputs: { q: 'hi' },
        outputs: { a: 'done' },
        error: { code: 'PROVIDER_ERROR', message: 'x' },
        usage: { promptTokens: 3, completionTokens: 4 },
        costUsd: 0.25,
        startedAt: expect.any(String),
        endedAt: expect.any(String),
        durationMs: 12,
        sessionId: 's1',
        parentRunId: 'r_0',
        depth: 1,
        attempt: 1,
      });
      expect(errors).toEqual([]);
    });

    it('inserts a run that starts and ends in one batch finished, and one from an earlier batch is updated', async () => {
      const { store } = await fresh({ flushDelayMs: 60_000 });
      insertRun(store, 'r_short');
      store.enqueueEvent(event('r_short', 0, 'run.started'), 1);
      store.finishRun('r_short', 1, end());
      insertRun(store, 'r_long');
      await store.flush();
      store.finishRun('r_long', 1, end('failed'));
      expect(await store.getRun('r_short')).toMatchObject({ status: 'completed', outputs: { a: 'done' } });
      expect(await store.getRun('r_long')).toMatchObject({ status: 'failed', durationMs: 12 });
    });

    it('keeps a run’s origin (rerun, node alone, pins), in one batch with its end or apart', async () => {
      const { store } = await fresh({ flushDelayMs: 60_000 });
      const origin = { rerunOf: 'r_first', fromNode: 'llm', pinned: ['prompt'] };
      const run = { flowId: 'f', flowVersion: 1, status: 'running' as const, inputs: {}, depth: 0 };
      store.insertRun({ ...run, runId: 'r_origin', startedAt: '2030-01-01T00:00:00.000Z', origin });
      store.finishRun('r_origin', 1, end());
      store.insertRun({ ...run, runId: 'r_alone', startedAt: '2030-01-01T00:00:01.000Z', origin: { node: 'llm' } });
      await store.flush();
      expect((await store.getRun('r_origin'))?.origin).toEqual(origin);
      expect((await store.listRuns({ flowId: 'f' })).map((r) => r.origin)).toEqual([{ node: 'llm' }, origin]);
    });

    it('lists runs newest first, filtered by flow and status, up to a limit', async () => {
      const { store } = await fresh();
      const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
      insertRun(store, 'r_a', { startedAt: at(1) });
      insertRun(store, 'r_b', { startedAt: at(2) });
      insertRun(store, 'r_c', { startedAt: at(3) });
      store.insertRun({
        runId: 'r_x',
        flowId: 'other',
        flowVersion: null,
        status: 'running',
        inputs: {},
        startedAt: at(4),
      });
      store.finishRun('r_b', 1, end());
      expect((await store.listRuns()).map((r) => r.runId)).toEqual(['r_x', 'r_c', 'r_b', 'r_a']);
      expect((await store.listRuns({ flowId: 'echo', limit: 2 })).map((r) => r.runId)).toEqual(['r_c', 'r_b']);
      expect((await store.listRuns({ status: 'completed' })).map((r) => r.runId)).toEqual(['r_b']);
      expect((await store.listRuns({ flowId: 'other' }))[0]).toMatchObject({ flowVersion: null, startedAt: at(4) });
      expect(await store.getRun('r_nope')).toBeUndefined();
    });

    it('keeps the first of two writes of one event (a batch written again changes nothing)', async () => {
      const { store } = await fresh();
      insertRun(store, 'r_dup');
      store.enqueueEvent(event('r_dup', 0, 'node.log', 'first'), 1);
      await store.flush();
      store.enqueueEvent(event('r_dup', 0, 'node.log', 'again'), 1);
      store.enqueueEvent(event('r_dup', 1), 1);
      const events = (await store.getEvents('r_dup')) as unknown as { seq: number; data: { message: string } }[];
      expect(events.map((e) => [e.seq, e.data.message])).toEqual([
        [0, 'first'],
        [1, 'm1'],
      ]);
    });

    it('keeps what is queued when it closes', async () => {
      const { store, place } = await fresh({ flushDelayMs: 60_000 });
      insertRun(store, 'r_close');
      store.enqueueEvent(event('r_close', 0, 'run.started'), 1);
      store.finishRun('r_close', 1, end());
      await store.close();
      const again = await place.open();
      expect(await again.getRun('r_close')).toMatchObject({ status: 'completed' });
      expect(await again.getEvents('r_close')).toHaveLength(1);
    });

    it('stores text with tabs, newlines and non-ASCII exactly', async () => {
      const { store } = await fresh();
      insertRun(store, 'r_text');
      const tricky = 'a\tb\nc\r\n“quoted” — ünïcode 🧵 \u2028 end';
      store.enqueueEvent(event('r_text', 0, 'node.log', tricky), 1);
      const [stored] = (await store.getEvents('r_text')) as unknown as { data: { message: string } }[];
      expect(stored?.data.message).toBe(tricky);
    });
  });

  describe('attempts and fencing', () => {
    it('claims a run by bumping its attempt, and ignores the writes of the attempt it replaced', async () => {
      const { store } = await fresh();
      insertRun(store, 'r_f');
      store.enqueueEvent(event('r_f', 0, 'run.started'), 1);
      store.enqueueEvent(event('r_f', 1, 'node.log', 'attempt 1'), 1);
      expect(await store.claimRun('r_f')).toBe(2);
      expect(await store.getRun('r_f')).toMatchObject({ status: 'running', attempt: 2 });
      // The first worker, unaware it lost the run, writes on: none of it lands.
      store.enqueueEvent(event('r_f', 2, 'node.log', 'stale'), 1);
      store.finishRun('r_f', 1, end('failed'));
      // The new attempt goes on from the committed events.
      store.enqueueEvent(event('r_f', 2, 'node.log', 'attempt 2'), 2);
      store.enqueueEvent(event('r_f', 3, 'run.completed'), 2);
      await store.flush();
      expect(await store.getRun('r_f')).toMatchObject({ status: 'running', attempt: 2 });
      store.finishRun('r_f', 2, end());
      const events = (await store.getEvents('r_f')) as unknown as { seq: number; data: { message?: string } }[];
      expect(events.map((e) => [e.seq, e.data.message])).toEqual([
        [0, 'm0'],
        [1, 'attempt 1'],
        [2, 'attempt 2'],
        [3, 'm3'],
      ]);
      expect(await store.getRun('r_f')).toMatchObject({ status: 'completed', attempt: 2 });
    });

    it('starts a queued run at attempt 0; claims nothing that is unknown or over', async () => {
      const { store } = await fresh();
      insertRun(store, 'r_q', { status: 'queued' });
      expect(await store.getRun('r_q')).toMatchObject({ status: 'queued', attempt: 0 });
      expect(await store.claimRun('r_q')).toBe(1);
      expect(await store.claimRun('r_q')).toBe(2);
      expect(await store.claimRun('r_none')).toBeUndefined();
      store.finishRun('r_q', 2, end());
      expect(await store.claimRun('r_q')).toBeUndefined();
      expect(await store.getRun('r_q')).toMatchObject({ status: 'completed', attempt: 2 });
    });

    it('keeps a paused run out of claims and crash recovery; claimPausedRun takes it once, clearing endedAt', async () => {
      const { store } = await fresh();
      insertRun(store, 'r_p', { status: 'running' });
      store.finishRun('r_p', 1, { ...end(), status: 'paused', outputs: {} });
      expect(await store.getRun('r_p')).toMatchObject({ status: 'paused', attempt: 1, endedAt: expect.any(String) });
      expect(await store.claimRun('r_p')).toBeUndefined();
      expect(await store.recoverInterrupted()).not.toContain('r_p');
      expect(await store.claimPausedRun('r_p')).toBe(2);
      expect(await store.claimPausedRun('r_p')).toBeUndefined();
      const run = await store.getRun('r_p');
      expect(run).toMatchObject({ status: 'running', attempt: 2 });
      expect(run?.endedAt).toBeUndefined();
    });

    it('gives two claims at the same moment different attempts (the older one is fenced)', async () => {
      const { store, place } = await fresh();
      insertRun(store, 'r_race', { status: 'queued' });
      await store.flush();
      const other = await place.open({ recover: false });
      const attempts = await Promise.all([store.claimRun('r_race'), other.claimRun('r_race')]);
      expect(attempts.sort()).toEqual([1, 2]);
    });
  });

  describe('crash recovery', () => {
    it('fails the runs of a process whose owner lock is gone, closing their event log, whatever their pid says', async () => {
      // A live process (this store, its lock held) and one that went away (its store closed: its lock let go).
      const { store: live, place } = await fresh();
      insertRun(live, 'r_alive');
      await live.flush();
      const gone = await place.open({ recover: false });
      insertRun(gone, 'r_dead');
      insertRun(gone, 'r_reused');
      gone.enqueueEvent(event('r_dead', 0, 'run.started'), 1);
      gone.enqueueEvent(event('r_dead', 1), 1);
      await gone.close();
      // r_reused's pid is now another live process's (a pid used again, or a zombie): the lock, not the pid, decides.
      await place.sql(
        {
          sqlite: "UPDATE runs SET pid = ? WHERE runId IN ('r_reused', 'r_alive')",
          postgres: "UPDATE runs SET pid = $1 WHERE run_id IN ('r_reused', 'r_alive')",
        },
        [process.ppid],
      );
      const reopened = await place.open();
      expect(await reopened.getRun('r_dead')).toMatchObject({
        status: 'failed',
        error: { code: 'RUN_INTERRUPTED' },
        endedAt: expect.any(String),
      });
      expect((await reopened.getEvents('r_dead')).map((e) => [e.seq, e.type])).toEqual([
        [0, 'run.started'],
        [1, 'node.log'],
        [2, 'run.failed'],
      ]);
      expect(await reopened.getRun('r_reused')).toMatchObject({ status: 'failed', error: { code: 'RUN_INTERRUPTED' } });
      expect(await reopened.getRun('r_alive')).toMatchObject({ status: 'running' });
      expect(await reopened.recoverInterrupted()).toEqual([]);
      // Once the live one goes too, its runs are recovered by whoever looks next.
      await live.close();
      expect(await reopened.recoverInterrupted()).toEqual(['r_alive']);
    });

    it('judges rows written before owners by their pid, as before', async () => {
      const { store, place } = await fresh();
      insertRun(store, 'r_dead');
      insertRun(store, 'r_alive');
      await store.close();
      await place.sql(
        {
          sqlite: "UPDATE runs SET owner = NULL, pid = CASE runId WHEN 'r_dead' THEN 2147483646 ELSE ? END",
          postgres: "UPDATE runs SET owner = NULL, pid = CASE run_id WHEN 'r_dead' THEN 2147483646 ELSE $1 END",
        },
        [process.ppid],
      );
      const reopened = await place.open();
      expect(await reopened.getRun('r_dead')).toMatchObject({ status: 'failed', error: { code: 'RUN_INTERRUPTED' } });
      expect(await reopened.getRun('r_alive')).toMatchObject({ status: 'running' });
    });
  });

  describe('feedback', () => {
    const write = (id: string, runId: string, score: number | null, extra: Record<string, unknown> = {}) => ({
      id,
      runId,
      key: 'user',
      score,
      source: 'editor',
      author: 'admin',
      at: new Date().toISOString(),
      ...extra,
    });

    it('adds, replaces by id, withdraws with a null score and lists a run’s feedback in order', async () => {
      const { store } = await fresh();
      const first = await store.putFeedback(write('fb_1', 'r_1', 1, { comment: 'good' }));
      expect(first).toEqual({
        id: 'fb_1',
        runId: 'r_1',
        key: 'user',
        score: 1,
        comment: 'good',
        source: 'editor',
        author: 'admin',
        createdAt: expect.any(String),
        updatedAt: first.createdAt,
      });
      const node = await store.putFeedback(
        write('fb_2', 'r_1', -1, { key: 'retrieval', nodeId: 'search', correction: { answer: 'Paris' } }),
      );
      expect(node).toMatchObject({ nodeId: 'search', correction: { answer: 'Paris' }, key: 'retrieval' });
      await store.putFeedback(write('fb_3', 'r_2', 0));
      expect(await store.listFeedback('r_1')).toEqual([first, node]);

      const replaced = await store.putFeedback({ ...write('fb_1', 'r_1', -0.5), at: '2099-01-01T00:00:00.000Z' });
      expect(replaced).toMatchObject({
        score: -0.5,
        createdAt: first.createdAt,
        updatedAt: '2099-01-01T00:00:00.000Z',
      });
      expect(replaced.comment).toBeUndefined();
      expect((await store.listFeedback('r_1')).map((f) => f.score)).toEqual([-0.5, -1]);

      expect((await store.putFeedback(write('fb_2', 'r_1', null))).score).toBeNull();
      expect((await store.listFeedback('r_1')).map((f) => f.id)).toEqual(['fb_1']);
      // Ids are per run: fb_3 on r_1 is new feedback, r_2's is untouched.
      await store.putFeedback(write('fb_3', 'r_1', 1));
      expect((await store.listFeedback('r_2'))[0]?.score).toBe(0);
      // Only its author changes feedback.
      await expect(store.putFeedback(write('fb_3', 'r_1', null, { author: 'key:k_1' }))).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect((await store.listFeedback('r_1')).map((f) => [f.id, f.score])).toEqual([
        ['fb_1', -0.5],
        ['fb_3', 1],
      ]);
      expect((await store.listFeedbackOfRuns(['r_2', 'r_1', 'r_9'])).map((f) => [f.runId, f.id]).sort()).toEqual([
        ['r_1', 'fb_1'],
        ['r_1', 'fb_3'],
        ['r_2', 'fb_3'],
      ]);
      // In the order last written: fb_1, replaced (in 2099), after fb_3 given since.
      const ofRun1 = (await store.listFeedbackOfRuns(['r_1'])).map((f) => f.id);
      expect(ofRun1).toEqual(['fb_3', 'fb_1']);
    });

    it('reads several runs in one call', async () => {
      const { store } = await fresh();
      insertRun(store, 'r_a');
      insertRun(store, 'r_b');
      expect((await store.getRuns(['r_b', 'r_a', 'r_none'])).map((run) => run.runId).sort()).toEqual(['r_a', 'r_b']);
      expect(await store.getRuns([])).toEqual([]);
    });
  });

  describe('datasets', () => {
    const at = (day: number) => new Date(Date.UTC(2026, 0, day)).toISOString();
    const item = (id: string, extra: Record<string, unknown> = {}) => ({ id, input: { question: id }, ...extra });

    it('creates, lists newest first, renames (bumping the revision) and refuses a taken id', async () => {
      const { store } = await fresh();
      const first = await store.datasets.create({ id: 'ds-a', name: 'A', description: 'first', at: at(1) });
      expect(first).toEqual({
        id: 'ds-a',
        name: 'A',
        description: 'first',
        revision: 1,
        itemCount: 0,
        createdAt: at(1),
        updatedAt: at(1),
      });
      await store.datasets.create({ id: 'ds-b', name: 'B', at: at(2) });
      await expect(store.datasets.create({ id: 'ds-a', name: 'again', at: at(3) })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect((await store.datasets.list()).map((d) => d.id)).toEqual(['ds-b', 'ds-a']);
      const renamed = await store.datasets.update('ds-a', { name: 'A2', description: null }, at(4));
      expect(renamed).toMatchObject({ name: 'A2', revision: 2, updatedAt: at(4) });
      expect(renamed?.description).toBeUndefined();
      expect(await store.datasets.update('nope', { name: 'x' }, at(4))).toBeUndefined();
    });

    it('adds items all or nothing, in order, pages them by cursor and split, edits and removes them', async () => {
      const { store } = await fresh();
      await store.datasets.create({ id: 'ds', name: 'D', at: at(1) });
      const added = await store.datasets.addItems(
        'ds',
        [
          item('q1', { expected: 'a1', split: 'train', metadata: { tag: 'x' } }),
          item('q2', { expected: { json: [1, 'two'] }, sourceRunId: 'r_1', sourceNodeId: 'llm' }),
          item('q3', { split: 'test' }),
        ],
        at(2),
      );
      expect(added).toMatchObject({ revision: 2, itemCount: 3 });
      await expect(store.datasets.addItems('ds', [item('q4'), item('q2')], at(3))).rejects.toMatchObject({
        code: 'CONFLICT',
        details: [{ itemId: 'q2' }],
      });
      expect(await store.datasets.addItems('nope', [item('x')], at(3))).toBeUndefined();
      expect((await store.datasets.get('ds'))?.itemCount).toBe(3);

      const page1 = await store.datasets.listItems('ds', { limit: 2 });
      expect(page1.map((i) => i.id)).toEqual(['q1', 'q2']);
      expect(page1[1]).toMatchObject({ expected: { json: [1, 'two'] }, sourceRunId: 'r_1', sourceNodeId: 'llm' });
      const page2 = await store.datasets.listItems('ds', { limit: 2, afterSeq: page1[1]?.seq });
      expect(page2.map((i) => i.id)).toEqual(['q3']);
      expect((await store.datasets.listItems('ds', { limit: 10, split: 'train' })).map((i) => i.id)).toEqual(['q1']);

      const edited = await store.datasets.updateItem(
        'ds',
        'q1',
        { expected: 'b1', split: null, metadata: null },
        at(5),
      );
      expect(edited).toEqual({
        id: 'q1',
        input: { question: 'q1' },
        expected: 'b1',
        createdAt: at(2),
        updatedAt: at(5),
      });
      expect(await store.datasets.getItem('ds', 'q1')).toEqual(edited);
      expect(await store.datasets.updateItem('ds', 'zz', { expected: 1 }, at(5))).toBeUndefined();
      expect(await store.datasets.removeItem('ds', 'q2', at(6))).toBe(true);
      expect(await store.datasets.removeItem('ds', 'q2', at(6))).toBe(false);
      expect(await store.datasets.get('ds')).toMatchObject({ revision: 4, itemCount: 2 });
      // New items come after every earlier one, also after a removal.
      await store.datasets.addItems('ds', [item('q2')], at(7));
      expect((await store.datasets.listItems('ds', { limit: 10 })).map((i) => i.id)).toEqual(['q1', 'q3', 'q2']);
      expect(await store.datasets.remove('ds')).toBe(true);
      expect(await store.datasets.remove('ds')).toBe(false);
      expect(await store.datasets.listItems('ds', { limit: 10 })).toEqual([]);
    });
  });

  describe('experiments', () => {
    const row = (id: string, createdAt: string, extra: Record<string, unknown> = {}) => ({
      id,
      name: `exp ${id}`,
      status: 'queued' as const,
      datasetId: 'ds',
      split: 'test',
      datasetRevision: 2,
      spec: '{"targets":[]}',
      total: 4,
      createdAt,
      ...extra,
    });
    const items = [
      { seq: 1, itemId: 'q1', input: { question: 'one' }, expected: 'a1' },
      { seq: 2, itemId: 'q2', input: { question: 'two' } },
    ];
    const source = { datasetId: 'ds', split: 'test', revision: 2 };

    /** A dataset `ds` at revision 2: q1 and q2 in split `test`, with `other` (split `train`) between them. */
    async function withDataset(store: Store): Promise<void> {
      const at = new Date().toISOString();
      await store.datasets.create({ id: 'ds', name: 'D', at });
      await store.datasets.addItems(
        'ds',
        [
          { id: 'q1', input: { question: 'one' }, expected: 'a1', split: 'test' },
          { id: 'other', input: { question: 'x' }, split: 'train' },
          { id: 'q2', input: { question: 'two' }, split: 'test' },
        ],
        at,
      );
    }

    it('creates an experiment with its items frozen from the dataset and a pending cell per item, target and repetition', async () => {
      const { store } = await fresh();
      await withDataset(store);
      expect(
        await store.experiments.create(row('x1', '2026-01-01T00:00:00.000Z'), source, { targets: 2, repetitions: 1 }),
      ).toBe(true);
      expect(
        await store.experiments.create(
          row('x2', '2026-01-02T00:00:00.000Z', { split: undefined, total: 6 }),
          { ...source, split: undefined },
          {
            targets: 1,
            repetitions: 2,
          },
        ),
      ).toBe(true);
      expect(await store.experiments.get('x1')).toEqual(row('x1', '2026-01-01T00:00:00.000Z'));
      expect((await store.experiments.list(10)).map((e) => e.id)).toEqual(['x2', 'x1']);
      expect(await store.experiments.items('x1')).toEqual(items);
      expect(await store.experiments.items('x1', { afterSeq: 1, limit: 5 })).toEqual([items[1]]);
      expect((await store.experiments.items('x2')).map((i) => [i.seq, i.itemId])).toEqual([
        [1, 'q1'],
        [2, 'other'],
        [3, 'q2'],
      ]);
      expect((await store.experiments.cells('x1')).map((c) => [c.seq, c.target, c.repetition, c.status])).toEqual([
        [1, 0, 0, 'pending'],
        [1, 1, 0, 'pending'],
        [2, 0, 0, 'pending'],
        [2, 1, 0, 'pending'],
      ]);
      expect((await store.experiments.cells('x2')).map((c) => c.repetition)).toEqual([0, 1, 0, 1, 0, 1]);
    });

    it('makes nothing when the dataset is no longer at the revision read, and makes a large one in chunks', async () => {
      const { store } = await fresh();
      await withDataset(store);
      await store.datasets.removeItem('ds', 'other', new Date().toISOString());
      expect(
        await store.experiments.create(row('x1', '2026-01-01T00:00:00.000Z'), source, { targets: 2, repetitions: 1 }),
      ).toBe(false);
      expect(await store.experiments.get('x1')).toBeUndefined();
      expect(await store.experiments.items('x1')).toEqual([]);
      expect(await store.experiments.cells('x1')).toEqual([]);
      // 8 targets × 20 repetitions × 300 items: more cells than one chunk holds.
      const many = Array.from({ length: 297 }, (_, i) => ({
        id: `m${i}`,
        input: { question: String(i) },
        split: 'test',
      }));
      await store.datasets.addItems('ds', many, new Date().toISOString());
      const big = row('big', '2026-01-03T00:00:00.000Z', { datasetRevision: 4, total: 299 * 160 });
      expect(await store.experiments.create(big, { ...source, revision: 4 }, { targets: 8, repetitions: 20 })).toBe(
        true,
      );
      expect(await store.experiments.counts('big')).toEqual({ finished: 0, errors: 0 });
      const items = await store.experiments.items('big');
      expect(items.map((i) => i.seq)).toEqual(Array.from({ length: 299 }, (_, i) => i + 1));
      expect(items.at(-1)?.itemId).toBe('m296');
      expect((await store.experiments.cells('big', { fromSeq: 299, toSeq: 299 })).length).toBe(160);
      expect((await store.experiments.aggregates('big')).map((a) => a.total)).toEqual(Array(8).fill(299 * 20));
    });

    it('saves finished cells, reads them by item range, updates the status and claims by compare and set', async () => {
      const { store } = await fresh();
      await withDataset(store);
      await store.experiments.create(row('x1', '2026-01-01T00:00:00.000Z'), source, { targets: 2, repetitions: 1 });
      const done = {
        seq: 1,
        target: 1,
        repetition: 0,
        status: 'done' as const,
        runId: 'r_1',
        output: { answer: 'a1' },
        scores: { exact: { score: 1, pass: true } },
        isPassed: true,
        durationMs: 12.5,
        tokens: 30,
        costUsd: 0.001,
        endedAt: '2026-01-01T00:00:01.000Z',
      };
      const failed = {
        seq: 2,
        target: 0,
        repetition: 0,
        status: 'error' as const,
        runId: 'r_2',
        error: { code: 'PROVIDER_ERROR' as const, message: 'down' },
        isPassed: false,
        endedAt: '2026-01-01T00:00:02.000Z',
      };
      await store.experiments.saveCells('x1', [done, failed]);
      const cells = await store.experiments.cells('x1');
      expect(cells[1]).toEqual(done);
      expect(cells[2]).toEqual(failed);
      expect(cells[0]).toEqual({ seq: 1, target: 0, repetition: 0, status: 'pending' });
      expect((await store.experiments.cells('x1', { fromSeq: 2, toSeq: 2 })).map((c) => c.seq)).toEqual([2, 2]);
      expect(await store.experiments.counts('x1')).toEqual({ finished: 2, errors: 1 });
      expect(await store.experiments.cellOfRun('r_2')).toEqual({
        experimentId: 'x1',
        itemId: 'q2',
        target: 0,
        repetition: 0,
      });
      expect(await store.experiments.cellOfRun('r_9')).toBeUndefined();
      expect(await store.experiments.counts('nope')).toEqual({ finished: 0, errors: 0 });

      const me = { host: 'h', pid: 42 };
      expect(await store.experiments.claim('x1', me, {})).toBe(true);
      expect(await store.experiments.claim('x1', { host: 'h', pid: 43 }, {})).toBe(false);
      expect(await store.experiments.get('x1')).toMatchObject({ ownerHost: 'h', ownerPid: 42 });
      expect((await store.experiments.unfinished()).map((e) => e.id)).toEqual(['x1']);
      await store.experiments.update('x1', { status: 'running', startedAt: '2026-01-01T00:00:00.500Z' });
      await store.experiments.update('x1', {
        status: 'failed',
        endedAt: '2026-01-01T00:00:03.000Z',
        error: { code: 'INTERNAL', message: 'x' },
      });
      expect(await store.experiments.get('x1')).toMatchObject({
        status: 'failed',
        startedAt: '2026-01-01T00:00:00.500Z',
        endedAt: '2026-01-01T00:00:03.000Z',
        error: { code: 'INTERNAL' },
      });
      expect(await store.experiments.unfinished()).toEqual([]);
      expect(await store.experiments.claim('x1', null, me)).toBe(false);
      expect(await store.experiments.remove('x1')).toBe(true);
      expect(await store.experiments.cells('x1')).toEqual([]);
      expect(await store.experiments.get('x1')).toBeUndefined();
    });

    it('pages the cells still to run with their items, a started one with its run, and back to pending', async () => {
      const { store } = await fresh();
      await withDataset(store);
      await store.experiments.create(row('x1', '2026-01-01T00:00:00.000Z'), source, { targets: 2, repetitions: 1 });
      await store.experiments.saveCells('x1', [
        { seq: 1, target: 0, repetition: 0, status: 'done', isPassed: true },
        { seq: 1, target: 1, repetition: 0, status: 'running', runId: 'r_started' },
      ]);
      expect(await store.experiments.counts('x1')).toEqual({ finished: 1, errors: 0 });
      const first = await store.experiments.pendingCells('x1', undefined, 2);
      expect(first).toEqual([
        { cell: { seq: 1, target: 1, repetition: 0, status: 'running', runId: 'r_started' }, item: items[0] },
        { cell: { seq: 2, target: 0, repetition: 0, status: 'pending' }, item: items[1] },
      ]);
      const rest = await store.experiments.pendingCells('x1', { seq: 2, target: 0, repetition: 0 }, 2);
      expect(rest.map(({ cell }) => [cell.seq, cell.target])).toEqual([[2, 1]]);
      await store.experiments.saveCells('x1', [{ seq: 1, target: 1, repetition: 0, status: 'pending' }]);
      expect((await store.experiments.cells('x1'))[1]).toEqual({ seq: 1, target: 1, repetition: 0, status: 'pending' });
      expect(await store.experiments.itemIds('x1', [2, 1, 7])).toEqual(
        new Map([
          [1, 'q1'],
          [2, 'q2'],
        ]),
      );
    });

    it('sums cells up per target in the store: counts, tokens, cost, latency percentiles and evaluator scores', async () => {
      const { store } = await fresh();
      await withDataset(store);
      await store.experiments.create(
        row('x1', '2026-01-01T00:00:00.000Z'),
        { ...source, split: undefined },
        {
          targets: 2,
          repetitions: 2,
        },
      );
      const verdict = (score: number | null) => ({ score, pass: score !== null && score >= 0.5 });
      await store.experiments.saveCells('x1', [
        {
          seq: 1,
          target: 0,
          repetition: 0,
          status: 'done',
          scores: { exact: verdict(1), rouge: verdict(0.8) },
          isPassed: true,
          durationMs: 100,
          tokens: 10,
          costUsd: 0.01,
        },
        {
          seq: 1,
          target: 0,
          repetition: 1,
          status: 'done',
          scores: { exact: verdict(0), rouge: verdict(0.4) },
          isPassed: false,
          durationMs: 300,
          tokens: 20,
          costUsd: 0.02,
        },
        {
          seq: 2,
          target: 0,
          repetition: 0,
          status: 'error',
          scores: { exact: verdict(0), judge: verdict(null) },
          isPassed: false,
          durationMs: 200,
        },
        {
          seq: 3,
          target: 0,
          repetition: 0,
          status: 'error',
          error: { code: 'PROVIDER_ERROR', message: 'down' },
          isPassed: false,
        },
        { seq: 3, target: 0, repetition: 1, status: 'running', runId: 'r_live' },
        {
          seq: 1,
          target: 1,
          repetition: 0,
          status: 'done',
          scores: { exact: verdict(1) },
          isPassed: true,
          durationMs: 50,
        },
      ]);
      const [first, second] = await store.experiments.aggregates('x1');
      expect(first).toEqual({
        target: 0,
        total: 6,
        finished: 4,
        passed: 1,
        errors: 2,
        tokens: 30,
        costUsd: expect.closeTo(0.03),
        p50: 200,
        p95: 300,
        scores: {
          exact: { sum: 1, scored: 3 },
          rouge: { sum: expect.closeTo(1.2), scored: 2 },
          judge: { sum: 0, scored: 0 },
        },
      });
      expect(second).toMatchObject({ target: 1, total: 6, finished: 1, passed: 1, p50: 50, p95: 50 });
      expect(await store.experiments.aggregates('nope')).toEqual([]);

      // Each item's score: the mean over its finished repetitions; a missing verdict or an error cell is 0.
      expect(await store.experiments.itemScores('x1', [0, 1], 'rouge')).toEqual([
        { seq: 1, target: 0, score: expect.closeTo(0.6) },
        { seq: 1, target: 1, score: 0 },
        { seq: 2, target: 0, score: 0 },
        { seq: 3, target: 0, score: 0 },
      ]);
      expect(await store.experiments.itemScores('x1', [0], null)).toEqual([
        { seq: 1, target: 0, score: expect.closeTo(0.55) },
        { seq: 2, target: 0, score: 0 },
        { seq: 3, target: 0, score: 0 },
      ]);
    });
  });

  describe('published versions', () => {
    const row = (version: number) => ({
      flowId: 'echo',
      version,
      json: `{"v":${version}}`,
      bundle: version === 1 ? null : '[{"flowId":"inner","flowVersion":2,"flow":{}}]',
      flowVersion: 3,
      rollbackOf: null,
      note: version === 1 ? 'first' : null,
      settings: '{}',
      publishedAt: new Date(Date.UTC(2026, 0, version)).toISOString(),
    });

    it('numbers versions, refuses a stale number, lists, reads and removes them', async () => {
      const { store } = await fresh();
      await store.published.insertNext(row(1));
      await store.published.insertNext(row(2));
      await expect(store.published.insertNext(row(2))).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(store.published.insertNext(row(4))).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store.published.latest('echo')).toEqual(row(2));
      expect(await store.published.get('echo', 1)).toEqual(row(1));
      expect(await store.published.get('echo', 3)).toBeUndefined();
      const { json: _json, bundle: _bundle, ...summary } = row(2);
      expect((await store.published.list('echo'))[0]).toEqual(summary);
      expect(await store.published.flowIds()).toEqual(['echo']);
      expect(await store.published.remove('echo')).toBe(2);
      expect(await store.published.latest('echo')).toBeUndefined();
      expect(await store.published.flowIds()).toEqual([]);
    });

    it('lets one of two publishes of the same number through', async () => {
      const { store, place } = await fresh();
      const other = await place.open({ recover: false });
      const results = await Promise.allSettled([
        store.published.insertNext(row(1)),
        other.published.insertNext(row(1)),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
    });

    it('records a published run with the run’s own group commit', async () => {
      const { store, place } = await fresh({ flushDelayMs: 60_000 });
      insertRun(store, 'r_pub');
      store.published.recordRun({
        runId: 'r_pub',
        flowId: 'echo',
        version: 1,
        keyId: 'abcdefabcdef',
        endpoint: 'chat',
      });
      await store.flush();
      const rows = await place.sql({
        sqlite: 'SELECT runId, keyId, endpoint FROM published_runs',
        postgres: 'SELECT run_id AS "runId", key_id AS "keyId", endpoint FROM published_runs',
      });
      expect(rows).toEqual([{ runId: 'r_pub', keyId: 'abcdefabcdef', endpoint: 'chat' }]);
    });

    it('reads a published run’s row, committing what is queued first', async () => {
      const { store } = await fresh({ flushDelayMs: 60_000 });
      insertRun(store, 'r_pub');
      const published = { runId: 'r_pub', flowId: 'echo', version: 2, keyId: 'abcdefabcdef', endpoint: 'run' as const };
      store.published.recordRun(published);
      expect(await store.published.getRun('r_pub')).toEqual(published);
      expect(await store.published.getRun('r_other')).toBeUndefined();
    });
  });

  describe('API keys', () => {
    const key = (id: string, createdAt: string) => ({
      id,
      name: `key ${id}`,
      flows: '["echo"]',
      rateLimit: id === 'aaaaaaaaaaaa' ? 10 : null,
      kind: id === 'aaaaaaaaaaaa' ? ('browser' as const) : ('secret' as const),
      origins: id === 'aaaaaaaaaaaa' ? '["https://shop.example"]' : '[]',
      salt: Buffer.from('salt-of-sixteen!'),
      hash: Buffer.alloc(32, 7),
      createdAt,
    });

    it('inserts, reads, lists newest first, revokes once and writes last-used times', async () => {
      const { store } = await fresh();
      await store.keys.insert(key('aaaaaaaaaaaa', '2026-01-01T00:00:00.000Z'));
      await store.keys.insert(key('bbbbbbbbbbbb', '2026-01-02T00:00:00.000Z'));
      expect(await store.keys.get('aaaaaaaaaaaa')).toEqual({
        ...key('aaaaaaaaaaaa', '2026-01-01T00:00:00.000Z'),
        lastUsedAt: null,
        revokedAt: null,
      });
      expect(await store.keys.get('cccccccccccc')).toBeUndefined();
      expect((await store.keys.list()).map((k) => k.id)).toEqual(['bbbbbbbbbbbb', 'aaaaaaaaaaaa']);
      await store.keys.revoke('aaaaaaaaaaaa', '2026-02-01T00:00:00.000Z');
      await store.keys.revoke('aaaaaaaaaaaa', '2026-03-01T00:00:00.000Z');
      expect((await store.keys.get('aaaaaaaaaaaa'))?.revokedAt).toBe('2026-02-01T00:00:00.000Z');
      expect(await store.keys.touch([['bbbbbbbbbbbb', '2026-02-02T00:00:00.000Z']])).toBe(true);
      expect((await store.keys.get('bbbbbbbbbbbb'))?.lastUsedAt).toBe('2026-02-02T00:00:00.000Z');
      await store.close();
      expect(await store.keys.touch([['bbbbbbbbbbbb', '2026-02-03T00:00:00.000Z']])).toBe(false);
    });

    it('changes its change token when another connection revokes a key, and only when keys change', async () => {
      const { store, place } = await fresh();
      await store.keys.insert(key('aaaaaaaaaaaa', '2026-01-01T00:00:00.000Z'));
      const before = await store.keys.changeToken();
      expect(await store.keys.changeToken()).toBe(before);
      // Other writes, and a key's last use, leave it as it is: cached keys stay cached while runs are written.
      insertRun(store, 'r_1');
      store.enqueueEvent(event('r_1', 0), 1);
      await store.flush();
      expect(await store.keys.touch([['aaaaaaaaaaaa', '2026-01-02T00:00:00.000Z']])).toBe(true);
      expect(await store.keys.changeToken()).toBe(before);
      const other = await place.open({ recover: false });
      await other.keys.revoke('aaaaaaaaaaaa', '2026-02-01T00:00:00.000Z');
      expect(await store.keys.changeToken()).not.toBe(before);
    });
  });

  describe('settings and chat memory', () => {
    it('keeps one value per setting name', async () => {
      const { store } = await fresh();
      expect(await store.settings.get('provider')).toBeUndefined();
      await store.settings.put('provider', '{"a":1}', '2026-01-01T00:00:00.000Z');
      await store.settings.put('provider', '{"a":2}', '2026-01-02T00:00:00.000Z');
      expect(await store.settings.get('provider')).toEqual({ value: '{"a":2}', updatedAt: '2026-01-02T00:00:00.000Z' });
    });

    it('reads a window of the latest messages per session and namespace, prunes past the cap, and clears', async () => {
      const { store } = await fresh();
      await store.memory.append('s1', 'n', ['m0', 'm1', 'm2'], 10);
      await store.memory.append('s1', 'n', ['m3', 'm4'], 4);
      await store.memory.append('s1', 'other', ['x'], 10);
      await store.memory.append('s2', 'n', ['y'], 10);
      expect(await store.memory.read('s1', 'n', 2)).toEqual(['m3', 'm4']);
      expect(await store.memory.read('s1', 'n', 100)).toEqual(['m1', 'm2', 'm3', 'm4']);
      await store.memory.clear('s1');
      expect(await store.memory.read('s1', 'n', 100)).toEqual([]);
      expect(await store.memory.read('s1', 'other', 100)).toEqual([]);
      expect(await store.memory.read('s2', 'n', 100)).toEqual(['y']);
    });

    it("keeps a queued run's job once: a second put of the same run changes nothing", async () => {
      const { store } = await fresh();
      expect(await store.runJobs.get('r_job')).toBeUndefined();
      await store.runJobs.put('r_job', '{"flow":1}');
      await store.runJobs.put('r_job', '{"flow":2}');
      expect(await store.runJobs.get('r_job')).toBe('{"flow":1}');
    });
  });
});

describe.each(STORE_BACKENDS)('monitoring reads on $kind', ({ create }) => {
  let backend: StoreBackend;
  beforeAll(() => {
    backend = create();
  });
  afterAll(() => backend.cleanup());

  /** Three top-level runs and a nested one: sources, times, usage, time to first token, feedback, a version. */
  async function seeded(): Promise<Store> {
    const store = await (await backend.place()).open();
    const runs = [
      { runId: 'r_1', source: 'api', at: '2026-01-01T10:05:00.000Z', status: 'completed', ms: 100, ttft: 40 },
      { runId: 'r_2', source: 'openai', at: '2026-01-01T10:40:00.000Z', status: 'failed', ms: 300, ttft: undefined },
      { runId: 'r_3', source: 'editor', at: '2026-01-01T11:10:00.000Z', status: 'completed', ms: 200, ttft: 50 },
    ] as const;
    for (const r of runs) {
      store.insertRun({
        runId: r.runId,
        flowId: 'echo',
        flowVersion: 1,
        status: 'running',
        inputs: { question: `Where is order ${r.runId.toUpperCase()}?` },
        startedAt: r.at,
        source: r.source,
      });
      store.enqueueEvent(
        {
          runId: r.runId,
          seq: 0,
          at: r.at,
          type: r.status === 'failed' ? 'node.failed' : 'node.completed',
          flowId: 'echo',
          nodeId: 'llm',
          spanId: 's_1',
          parentSpanId: null,
          data:
            r.status === 'failed'
              ? { error: { code: 'PROVIDER_ERROR', message: 'x' }, durationMs: r.ms }
              : { outputs: {}, durationMs: r.ms, usage: { promptTokens: 10, completionTokens: 5 }, costUsd: 0.001 },
        } as TraceEvent,
        1,
      );
      store.finishRun(r.runId, 1, {
        status: r.status,
        outputs: {},
        usage: { promptTokens: 10, completionTokens: 5 },
        costUsd: 0.001,
        endedAt: r.at,
        durationMs: r.ms,
        ...(r.ttft !== undefined && { ttftMs: r.ttft }),
      });
    }
    store.insertRun({
      runId: 'r_nested',
      flowId: 'echo',
      flowVersion: 1,
      status: 'completed',
      inputs: {},
      startedAt: '2026-01-01T10:06:00.000Z',
      depth: 1,
      parentRunId: 'r_1',
      source: 'api',
    });
    store.published.recordRun({ runId: 'r_1', flowId: 'echo', version: 2, keyId: 'k_1', endpoint: 'run' });
    await store.flush();
    const feedback = (id: string, runId: string, score: number) =>
      store.putFeedback({
        id,
        runId,
        key: 'user',
        score,
        source: 'api',
        author: 'admin',
        at: new Date().toISOString(),
      });
    await feedback('fb_m1', 'r_1', 1);
    await feedback('fb_m2', 'r_1', 0);
    await feedback('fb_m3', 'r_3', -1);
    return store;
  }
  const range = { from: '2026-01-01T10:00:00.000Z', to: '2026-01-01T12:00:00.000Z' };

  it('lists runs with source, published version and feedback, filtered by each', async () => {
    const store = await seeded();
    const ids = async (query: Parameters<Store['listRuns']>[0]) => (await store.listRuns(query)).map((r) => r.runId);
    const first = (await store.listRuns({ sources: ['api'] })).find((r) => r.runId === 'r_1');
    expect(first).toMatchObject({ runId: 'r_1', source: 'api', ttftMs: 40, publishedVersion: 2 });
    expect(first?.feedback).toEqual({ count: 2, mean: 0.5 });
    expect(await ids({ sources: ['api', 'openai'] })).toEqual(['r_2', 'r_nested', 'r_1']);
    expect(await ids({ version: 2 })).toEqual(['r_1']);
    expect(await ids({ feedback: 'positive' })).toEqual(['r_1']);
    expect(await ids({ feedback: 'negative' })).toEqual(['r_3']);
    expect(await ids({ feedback: 'any' })).toEqual(['r_3', 'r_1']);
    expect(await ids({ feedback: 'none', sources: ['openai'] })).toEqual(['r_2']);
    expect(await ids({ text: 'order r_3' })).toEqual(['r_3']);
    expect(await ids({ before: '2026-01-01T10:40:00.000Z', flowId: 'echo' })).toEqual(['r_nested', 'r_1']);
    await store.close();
  });

  it('answers the samples monitoring counts: top-level runs in range, and one node of them', async () => {
    const store = await seeded();
    const runs = await store.runSamples({ ...range, flowId: 'echo' });
    expect(runs.map((r) => [r.startedAt, r.status, r.durationMs, r.ttftMs])).toEqual([
      ['2026-01-01T10:05:00.000Z', 'completed', 100, 40],
      ['2026-01-01T10:40:00.000Z', 'failed', 300, null],
      ['2026-01-01T11:10:00.000Z', 'completed', 200, 50],
    ]);
    expect(
      runs.map((r) => [Number(r.tokens), Number(r.costUsd), Number(r.feedbackCount), Number(r.feedbackSum)]),
    ).toEqual([
      [15, 0.001, 2, 1],
      [15, 0.001, 0, 0],
      [15, 0.001, 1, -1],
    ]);
    expect((await store.runSamples({ ...range, sources: ['editor'] })).length).toBe(1);
    expect((await store.runSamples({ ...range, version: 2 })).length).toBe(1);
    expect(await store.runSamples({ from: range.to, to: '2026-01-02T00:00:00.000Z' })).toEqual([]);
    const nodes = await store.nodeSamples({ ...range, nodeId: 'llm' });
    expect(nodes.map((n) => [n.failed, Number(n.durationMs), Number(n.tokens)])).toEqual([
      [false, 100, 15],
      [true, 300, 0],
      [false, 200, 15],
    ]);
    expect(await store.nodeSamples({ ...range, nodeId: 'other' })).toEqual([]);
    await store.close();
  });

  it("answers the evaluators' scores of the experiment cells the runs were made for", async () => {
    const store = await seeded();
    const at = new Date().toISOString();
    await store.datasets.create({ id: 'ds', name: 'D', at });
    await store.datasets.addItems(
      'ds',
      ['one', 'two', 'three'].map((question) => ({ id: question, input: { question } })),
      at,
    );
    const row = {
      id: 'x1',
      status: 'completed' as const,
      datasetId: 'ds',
      datasetRevision: 2,
      spec: '{"targets":[]}',
      total: 3,
      createdAt: at,
    };
    expect(await store.experiments.create(row, { datasetId: 'ds', revision: 2 }, { targets: 1, repetitions: 1 })).toBe(
      true,
    );
    const verdict = (score: number | null) => ({ score, pass: score === 1 });
    await store.experiments.saveCells('x1', [
      {
        seq: 1,
        target: 0,
        repetition: 0,
        status: 'done',
        runId: 'r_1',
        scores: { exact: verdict(1), bleu: verdict(0.5) },
      },
      // A judge that could not score: its verdict counts for nothing.
      {
        seq: 2,
        target: 0,
        repetition: 0,
        status: 'error',
        runId: 'r_3',
        scores: { exact: verdict(0), judge: verdict(null) },
      },
      { seq: 3, target: 0, repetition: 0, status: 'error', runId: 'r_2' },
    ]);
    const samples = await store.evalSamples(range);
    expect(samples.map((e) => [e.startedAt, e.name, Number(e.count), Number(e.sum)])).toEqual([
      ['2026-01-01T10:05:00.000Z', 'bleu', 1, 0.5],
      ['2026-01-01T10:05:00.000Z', 'exact', 1, 1],
      ['2026-01-01T11:10:00.000Z', 'exact', 1, 0],
    ]);
    expect((await store.evalSamples({ ...range, sources: ['editor'] })).map((e) => e.name)).toEqual(['exact']);
    expect(await store.evalSamples({ ...range, version: 7 })).toEqual([]);
    await store.close();
  });
});
