import { eventJson, rememberEventJson, type TraceEvent } from '@flowloom/nodes';
import type { Redis } from 'ioredis';
import { afterEntry, entryId, type RedisKeys } from './keys.js';
import type { RedisConnections } from './redis.js';

/**
 * XADD with fencing, idempotent, for the events of several runs at once (what a worker's runs emitted in one turn of
 * the event loop): KEYS are stream and attempt key pairs, one per run; ARGV starts with the `ended` channel, then
 * holds, per run, its attempt, a time to live (> 0 sets it, after the appends), an entry count, then that many id and
 * JSON pairs, then the run id when these entries end with the run's end event (else an empty string): the run id is
 * then published on the channel, so API processes waiting on the run's end alone need not read its stream as it goes.
 * Answers one number per run: -1 when a newer attempt owns the run (its entries are refused as a whole), else how many
 * were appended (an id not above the stream's last one is skipped: a duplicate relay). Every key of one call must live
 * on the same Redis (a single Redis is assumed: docs/deploy.md).
 */
const XADD_FENCED_RUNS = `
local answers = {}
local ended = ARGV[1]
local at = 2
for run = 1, #KEYS / 2 do
  local stream, attemptKey = KEYS[run * 2 - 1], KEYS[run * 2]
  local attempt, ttl, count = tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  at = at + 3
  local newest = tonumber(redis.call('GET', attemptKey) or '0')
  local endOf = ARGV[at + count * 2]
  if newest > attempt then
    answers[run] = -1
  else
    local added = 0
    for i = at, at + count * 2 - 1, 2 do
      if pcall(redis.call, 'XADD', stream, ARGV[i], 'e', ARGV[i + 1]) then added = added + 1 end
    end
    if ttl > 0 then
      redis.call('PEXPIRE', stream, ttl)
      redis.call('PEXPIRE', attemptKey, ttl)
    end
    if endOf ~= '' then redis.call('PUBLISH', ended, endOf) end
    answers[run] = added
  end
  at = at + count * 2 + 1
end
return answers`;

/**
 * Sets the attempt key (KEYS[1]) to `attempt` unless it holds a higher one; answers the key's value after, and whether
 * the run's cancel flag (KEYS[2]) is set: what a worker claiming a run asks Redis, in one call.
 */
const CLAIM_ATTEMPT = `
local newest = tonumber(redis.call('GET', KEYS[1]) or '0')
local attempt = tonumber(ARGV[1])
local cancelled = redis.call('EXISTS', KEYS[2])
if attempt > newest then
  redis.call('SET', KEYS[1], attempt, 'PX', ARGV[2])
  newest = attempt
end
return {newest, cancelled}`;

type FencedRedis = Redis & {
  xaddFencedRuns(keyCount: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
  claimAttempt(attemptKey: string, cancelKey: string, attempt: number, ttlMs: number): Promise<[number, number]>;
};

function withScripts(client: Redis): FencedRedis {
  if (!('xaddFencedRuns' in client)) {
    // The key count varies with the batch: given first by the caller.
    client.defineCommand('xaddFencedRuns', { lua: XADD_FENCED_RUNS });
    client.defineCommand('claimAttempt', { numberOfKeys: 2, lua: CLAIM_ATTEMPT });
  }
  return client as FencedRedis;
}

/** How long a live run's stream is kept at most (a worker that dies for good leaves no stream forever). */
const LIVE_TTL_MS = 24 * 60 * 60 * 1000;

export interface EventStreamsOptions {
  /** How long a run's stream stays after its end event (late subscribers read it; then the store answers). */
  retentionMs?: number;
}

type Entries = [id: string, fields: string[]][];

function decode(entries: Entries): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const [, fields] of entries) {
    const at = fields.indexOf('e');
    if (at < 0) continue;
    const json = fields[at + 1] as string;
    const event = JSON.parse(json) as TraceEvent;
    // Sent on to subscribers as the same text (socket.io, SSE), not encoded again.
    rememberEventJson(event, json);
    events.push(event);
  }
  return events;
}

/**
 * Runs' events between processes, through Redis Streams: one stream per run, entry id `1-<seq>` (keys.ts). A worker
 * relays each event as it is emitted (`relay`); API processes read a run's stream from any seq (`read`) and tail it
 * from the last entry they read (`tail`), never from `$`, so nothing published before a reader started is missed. A
 * relay by an attempt older than the run's newest is refused (fencing), a repeated one is a no-op (idempotent).
 */
export class EventStreams {
  readonly #connections: RedisConnections;
  readonly #keys: RedisKeys;
  readonly #retentionMs: number;
  readonly #durable: FencedRedis;
  #tailer?: StreamTailer;
  #relays?: RelayBatches;

  constructor(connections: RedisConnections, keys: RedisKeys, options: EventStreamsOptions = {}) {
    this.#connections = connections;
    this.#keys = keys;
    this.#retentionMs = options.retentionMs ?? 60 * 60 * 1000;
    this.#durable = withScripts(connections.durable);
  }

  /** The run's events with a seq above `afterSeq`, in order (empty when the stream is gone or not started). */
  async read(runId: string, afterSeq = -1): Promise<TraceEvent[]> {
    const start = afterSeq < 0 ? '-' : `(${entryId(afterSeq)}`;
    return decode((await this.#connections.command.xrange(this.#keys.events(runId), start, '+')) as Entries);
  }

  /** The last event of each run's stream (undefined where the stream is gone or empty), in one round trip. */
  async lastEvents(runIds: readonly string[]): Promise<(TraceEvent | undefined)[]> {
    const pipeline = this.#connections.command.pipeline();
    for (const runId of runIds) pipeline.xrevrange(this.#keys.events(runId), '+', '-', 'COUNT', 1);
    const replies = (await pipeline.exec()) ?? [];
    return runIds.map((_, i) => {
      const [err, entries] = replies[i] ?? [null, []];
      return err ? undefined : decode(entries as Entries)[0];
    });
  }

  /**
   * Calls `onEvents` with the run's events after `afterSeq` as they are appended, in order, each once, from the entry
   * after the last one read. Returns the function that stops it.
   */
  tail(runId: string, afterSeq: number, onEvents: (events: TraceEvent[]) => void): () => void {
    this.#tailer ??= new StreamTailer(this.#connections);
    return this.#tailer.add(this.#keys.events(runId), afterEntry(afterSeq), onEvents);
  }

  /**
   * Makes `attempt` the newest allowed to relay the run's events (older ones are refused from now on) and answers a
   * relay for it, which also tells whether a cancel was asked for the run (RunQueue `requestCancel`) before; null when
   * a newer attempt holds the run already.
   */
  async relay(runId: string, attempt: number): Promise<EventRelay | null> {
    const attemptKey = this.#keys.attempt(runId);
    const [newest, cancelled] = await this.#durable.claimAttempt(
      attemptKey,
      this.#keys.cancel(runId),
      attempt,
      LIVE_TTL_MS,
    );
    if (newest !== attempt) return null;
    this.#relays ??= new RelayBatches(this.#durable, this.#keys.channel('ended'));
    return new EventRelay(
      this.#relays,
      runId,
      this.#keys.events(runId),
      attemptKey,
      attempt,
      this.#retentionMs,
      cancelled === 1,
    );
  }

  close(): void {
    this.#tailer?.close();
  }
}

/** What one relay queued in the current batch: id and JSON pairs in emit order, and the time to live to set after. */
interface RelayGroup {
  entries: string[];
  ttlMs: number;
  /** The entries end with the run's end event: the run id is published on the `ended` channel. */
  isEnd: boolean;
}

/** Entries per script call at most: a larger batch goes in several calls, in order, on the same connection. */
const MAX_ENTRIES_PER_CALL = 512;

/**
 * The relays of one process send what their runs emit in one turn of the event loop together: one script call for
 * every run's events (a worker runs dozens of runs, each emitting a dozen events or more; one call per event cost a
 * round of encoding in the worker and a script run in Redis each). Calls go out in order on one connection, so each
 * stream gets its entries in emit order, whatever the batching.
 */
class RelayBatches {
  readonly #redis: FencedRedis;
  readonly #endedChannel: string;
  #groups = new Map<EventRelay, RelayGroup>();
  #sent: Promise<void> | undefined;
  #settle: (() => void) | undefined;

  constructor(redis: FencedRedis, endedChannel: string) {
    this.#redis = redis;
    this.#endedChannel = endedChannel;
  }

  /**
   * Queues an entry for this turn's call; `ttlMs` > 0 replaces the time to live set after it; `isEnd` marks the run's
   * end event (the last entry of its run). Settles on answer.
   */
  add(relay: EventRelay, id: string, json: string, ttlMs: number, isEnd = false): Promise<void> {
    let group = this.#groups.get(relay);
    if (!group) {
      group = { entries: [], ttlMs: 0, isEnd: false };
      this.#groups.set(relay, group);
    }
    group.entries.push(id, json);
    if (ttlMs > 0) group.ttlMs = ttlMs;
    if (isEnd) group.isEnd = true;
    if (!this.#sent) {
      this.#sent = new Promise<void>((resolve) => {
        this.#settle = resolve;
      });
      setImmediate(() => this.#send());
    }
    return this.#sent;
  }

  #send(): void {
    const groups = this.#groups;
    const settle = this.#settle as () => void;
    this.#groups = new Map();
    this.#sent = undefined;
    const calls: Promise<void>[] = [];
    let keys: string[] = [];
    let args: (string | number)[] = [];
    let relays: EventRelay[] = [];
    let entryCount = 0;
    const call = () => {
      const [sentKeys, sentArgs, sentRelays] = [keys, args, relays];
      calls.push(
        this.#redis.xaddFencedRuns(sentKeys.length, ...sentKeys, this.#endedChannel, ...sentArgs).then(
          (answers) => {
            for (const [i, relay] of sentRelays.entries()) relay.answered(answers[i] ?? 0);
          },
          (err: unknown) => {
            for (const relay of sentRelays) relay.failed(err);
          },
        ),
      );
      [keys, args, relays, entryCount] = [[], [], [], 0];
    };
    for (const [relay, group] of groups) {
      // A group larger than one call is split; each part sets the time to live (the last one's stands).
      for (let from = 0; from < group.entries.length; ) {
        const room = Math.max(2, (MAX_ENTRIES_PER_CALL - entryCount) * 2);
        const part = group.entries.slice(from, from + room);
        from += part.length;
        keys.push(relay.stream, relay.attemptKey);
        const isEnd = group.isEnd && from >= group.entries.length;
        args.push(relay.attempt, group.ttlMs, part.length / 2, ...part, isEnd ? relay.runId : '');
        relays.push(relay);
        entryCount += part.length / 2;
        if (entryCount >= MAX_ENTRIES_PER_CALL) call();
      }
    }
    if (relays.length > 0) call();
    void Promise.all(calls).then(settle);
  }
}

/**
 * One attempt's relay of a run's events to its stream, in emit order (batched per turn with the process's other
 * relays; nothing waits for an answer before the next is sent). The end event goes last, once `gate` settles (the
 * run's final row is committed then, so a reader that sees the end finds the run ended in the store).
 */
export class EventRelay {
  readonly #batches: RelayBatches;
  readonly runId: string;
  readonly stream: string;
  readonly attemptKey: string;
  readonly attempt: number;
  /** Whether a cancel had been asked for the run when this attempt claimed it. */
  readonly isCancelRequested: boolean;
  readonly #retentionMs: number;
  readonly #pending = new Set<Promise<unknown>>();
  #isFirst = true;
  #isFenced = false;
  #lastError: unknown;

  constructor(
    batches: RelayBatches,
    runId: string,
    stream: string,
    attemptKey: string,
    attempt: number,
    retentionMs: number,
    isCancelRequested: boolean,
  ) {
    this.#batches = batches;
    this.runId = runId;
    this.stream = stream;
    this.attemptKey = attemptKey;
    this.attempt = attempt;
    this.#retentionMs = retentionMs;
    this.isCancelRequested = isCancelRequested;
  }

  /** True once Redis refused a relay because a newer attempt took the run over. */
  get isFenced(): boolean {
    return this.#isFenced;
  }

  push(event: TraceEvent): void {
    // The stream lives a day at most while the run goes on (set with its first entry).
    const ttl = this.#isFirst ? LIVE_TTL_MS : 0;
    this.#isFirst = false;
    this.#send(event, ttl);
  }

  /**
   * Relays the end event after `gate` settles, then keeps the stream for the retention time only. Its text is taken
   * now, as it was emitted (the one the store and the subscribers have), not when the gate settles.
   */
  end(event: TraceEvent, gate: Promise<unknown>): void {
    const json = eventJson(event);
    const sent = gate.then(
      () => this.#send(event, this.#retentionMs, true, json),
      () => this.#send(event, this.#retentionMs, true, json),
    );
    this.#track(sent);
  }

  #send(event: TraceEvent, ttlMs: number, isEnd = false, json = eventJson(event)): Promise<unknown> {
    if (this.#isFenced) return Promise.resolve();
    const sent = this.#batches.add(this, entryId(event.seq), json, ttlMs, isEnd);
    this.#track(sent);
    return sent;
  }

  /** Redis's answer for this relay's part of a call: -1 when a newer attempt owns the run. */
  answered(answer: number): void {
    if (answer === -1) this.#isFenced = true;
  }

  failed(err: unknown): void {
    this.#lastError = err;
  }

  #track(promise: Promise<unknown>): void {
    this.#pending.add(promise);
    promise.finally(() => this.#pending.delete(promise));
  }

  /** Settles once everything pushed so far has been answered by Redis. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** The last relay that failed, if any (logged by the worker). */
  get lastError(): unknown {
    return this.#lastError;
  }
}

interface Watcher {
  key: string;
  lastId: string;
  onEvents: (events: TraceEvent[]) => void;
}

/**
 * Tails many streams on one blocking connection: XREAD BLOCK over every watched stream, each from its last id. A new
 * watcher interrupts the blocked read (CLIENT UNBLOCK from the command connection) so it is included at once.
 */
class StreamTailer {
  readonly #connections: RedisConnections;
  readonly #blocking: Redis;
  readonly #watchers = new Set<Watcher>();
  #blockingId: number | undefined;
  #isBlocked = false;
  #isUnblockScheduled = false;
  #wake: (() => void) | undefined;
  #isClosed = false;

  constructor(connections: RedisConnections) {
    this.#connections = connections;
    this.#blocking = connections.open({ maxRetriesPerRequest: null });
    const readId = () => {
      this.#blocking.client('ID').then(
        (id) => {
          this.#blockingId = Number(id);
        },
        () => {},
      );
    };
    this.#blocking.on('ready', readId);
    if (this.#blocking.status === 'ready') readId();
    void this.#loop();
  }

  add(key: string, afterId: string, onEvents: (events: TraceEvent[]) => void): () => void {
    const watcher: Watcher = { key, lastId: afterId, onEvents };
    this.#watchers.add(watcher);
    this.#wake?.();
    this.#interrupt();
    return () => {
      this.#watchers.delete(watcher);
    };
  }

  #interrupt(): void {
    if (!this.#isBlocked || this.#isUnblockScheduled || this.#blockingId === undefined) return;
    this.#isUnblockScheduled = true;
    setImmediate(() => {
      this.#isUnblockScheduled = false;
      if (this.#isBlocked && this.#blockingId !== undefined)
        this.#connections.command.call('CLIENT', 'UNBLOCK', String(this.#blockingId)).catch(() => {});
    });
  }

  async #loop(): Promise<void> {
    while (!this.#isClosed) {
      if (this.#watchers.size === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      const watchers = [...this.#watchers];
      // One entry per stream, from the lowest id any of its watchers has read (each then takes what is new to it).
      const from = new Map<string, string>();
      for (const w of watchers) {
        const known = from.get(w.key);
        if (known === undefined || compareIds(w.lastId, known) < 0) from.set(w.key, w.lastId);
      }
      let reply: [key: string, entries: Entries][] | null;
      this.#isBlocked = true;
      try {
        reply = (await this.#blocking.xread(
          'COUNT',
          1000,
          'BLOCK',
          10_000,
          'STREAMS',
          ...from.keys(),
          ...from.values(),
        )) as [string, Entries][] | null;
      } catch {
        this.#isBlocked = false;
        if (this.#isClosed) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      this.#isBlocked = false;
      if (!reply) continue;
      const byKey = new Map(reply);
      for (const watcher of watchers) {
        const entries = byKey.get(watcher.key);
        if (!entries || entries.length === 0 || !this.#watchers.has(watcher)) continue;
        const fresh = entries.filter(([id]) => compareIds(id, watcher.lastId) > 0);
        if (fresh.length === 0) continue;
        watcher.lastId = (fresh.at(-1) as [string, string[]])[0];
        try {
          watcher.onEvents(decode(fresh));
        } catch {
          // A faulty watcher must not stop the others.
        }
      }
    }
  }

  close(): void {
    this.#isClosed = true;
    this.#wake?.();
    this.#blocking.disconnect();
  }
}

/** Orders two stream ids (`ms-seq`). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am === bm ? as - bs : am - bm;
}
