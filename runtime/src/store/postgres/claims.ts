import type { PgDatabase } from './db.js';

// The rows are locked in run id order before they are updated, like the group commit's FOR SHARE (batch.ts): two
// processes claiming overlapping runs, or a claim meeting a commit, wait for each other instead of deadlocking. NO KEY
// UPDATE is the lock the update itself takes.
const CLAIM_RUNS = `WITH c AS MATERIALIZED (
    SELECT run_id FROM runs WHERE run_id = ANY($1::text[]) AND status IN ('queued', 'running')
    ORDER BY run_id FOR NO KEY UPDATE)
  UPDATE runs SET attempt = runs.attempt + 1, status = 'running', pid = $2, host = $3, owner = $4
  FROM c WHERE runs.run_id = c.run_id AND runs.status IN ('queued', 'running')
  RETURNING runs.run_id AS "runId", runs.attempt`;

interface Claim {
  runId: string;
  resolve: (attempt: number | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * A worker's claims of queued runs, grouped like a group commit: the first goes out at once, and those that come while
 * a statement is under way go out together in the next one. A run id is in a group at most once: Postgres updates a
 * row once per statement, so a second claim of it in the same group would get the same attempt (no fencing). It waits
 * for the next group, and gets the attempt after.
 */
export class PgRunClaims {
  readonly #db: PgDatabase;
  readonly #flush: () => Promise<void>;
  /** The pid, host and owner id written on each claimed row. */
  readonly #holder: readonly [pid: number, host: string, owner: string];
  #waiting: Claim[] = [];
  #isSending = false;

  /** `flush` commits what the store has queued: a claim's statement follows everything queued before it. */
  constructor(db: PgDatabase, flush: () => Promise<void>, host: string, owner: string) {
    this.#db = db;
    this.#flush = flush;
    this.#holder = [process.pid, host, owner];
  }

  /** The run's attempt after the claim, or undefined when it is not queued or running. */
  claim(runId: string): Promise<number | undefined> {
    const claimed = new Promise<number | undefined>((resolve, reject) => {
      this.#waiting.push({ runId, resolve, reject });
    });
    if (!this.#isSending) void this.#send();
    return claimed;
  }

  /** Sends groups, one statement at a time, until no claim waits. Every caller of a failed group gets its error. */
  async #send(): Promise<void> {
    this.#isSending = true;
    while (this.#waiting.length > 0) {
      const group = this.#nextGroup();
      try {
        await this.#flush();
        const rows = await this.#db.query<{ runId: string; attempt: number }>(
          CLAIM_RUNS,
          [group.map((claim) => claim.runId), ...this.#holder],
          { name: 'claim_runs' },
        );
        const attempts = new Map(rows.map((row) => [row.runId, row.attempt]));
        for (const claim of group) claim.resolve(attempts.get(claim.runId));
      } catch (err) {
        for (const claim of group) claim.reject(err);
      }
    }
    this.#isSending = false;
  }

  /** The waiting claims of distinct runs, in the order they came; a repeated run id stays for a later group. */
  #nextGroup(): Claim[] {
    const group = new Map<string, Claim>();
    const later: Claim[] = [];
    for (const claim of this.#waiting) {
      if (group.has(claim.runId)) later.push(claim);
      else group.set(claim.runId, claim);
    }
    this.#waiting = later;
    return [...group.values()];
  }
}
