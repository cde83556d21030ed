/** Where a Redis URL points, without credentials: for messages and `GET /api/health`. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'an unparsable URL';
  }
}

/** The Redis key names of one deployment (FLOWLOOM_QUEUE_PREFIX): every key this runtime touches starts with it. */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** BullMQ's own prefix: its keys are `<prefix>:bull:runs:*`. */
  get bull(): string {
    return `${this.prefix}:bull`;
  }

  /** A run's events (a Redis Stream; entry id `1-<seq>`). */
  events(runId: string): string {
    return `${this.prefix}:run:${runId}:events`;
  }

  /** The newest attempt allowed to relay a run's events (fencing of the stream). */
  attempt(runId: string): string {
    return `${this.prefix}:run:${runId}:attempt`;
  }

  /** Set when a cancel was asked for a run (read by the worker that claims it). */
  cancel(runId: string): string {
    return `${this.prefix}:run:${runId}:cancel`;
  }

  /** A pub/sub channel of this deployment. */
  channel(name: 'cancel' | 'started' | 'keys' | 'ended'): string {
    return `${this.prefix}:channel:${name}`;
  }

  /** The sweeper's lock: one sweep at a time across workers. */
  get sweepLock(): string {
    return `${this.prefix}:sweep-lock`;
  }

  /** A rate-limit bucket of an API key (shared by every API process). */
  rate(keyId: string): string {
    return `${this.prefix}:rate:${keyId}`;
  }

  /** The socket.io adapter's stream between API processes. */
  get socketIo(): string {
    return `${this.prefix}:socket.io`;
  }
}

/** A run's event with sequence number `seq` is stream entry `1-<seq>`: gap-free ids, and `0-0` stays below all. */
export function entryId(seq: number): string {
  return `1-${seq}`;
}

/** The seq of a stream entry id (`1-<seq>`). */
export function seqOfEntry(id: string): number {
  return Number(id.slice(id.indexOf('-') + 1));
}

/** The id to read after (XREAD/XRANGE exclusive): everything when `afterSeq` is -1. */
export function afterEntry(afterSeq: number): string {
  return afterSeq < 0 ? '0-0' : entryId(afterSeq);
}
