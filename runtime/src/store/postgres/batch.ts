import { type FinishParams, finishesByRun, forEachEvent, type RunRowParams, type WriteBatch } from '../row-writes.js';

// One group commit on Postgres is one statement: each part of the batch (new runs, finished runs, events, final states,
// published runs, jobs) is a data-modifying WITH clause taking whole columns as arrays (unnest), and a single statement
// is its own transaction, so the batch is one round trip with no BEGIN or COMMIT of its own (they were three of the five
// round trips of a worker's batch: docs/performance.md). The statement is named by the parts it has, so each shape is
// prepared once per connection. Every write is idempotent (ON CONFLICT DO NOTHING, updates by key), so a batch not
// known to be committed can be written again.

const RUN_COLUMNS = `run_id, flow_id, flow_version, status, inputs, started_at, pid, host, session_id, parent_run_id,
      depth, attempt, source, owner, origin`;
const RUN_TYPES = [
  'text',
  'text',
  'int',
  'text',
  'text',
  'timestamptz',
  'int',
  'text',
  'text',
  'text',
  'int',
  'int',
  'text',
  'text',
  'text',
] as const;
const FINISH_TYPES = ['text', 'text', 'text', 'float8', 'timestamptz', 'int', 'float8'] as const;

/** The statement being built: its parameters, and the text of each part (`$n::type[]` placeholders in order). */
class Statement {
  readonly values: unknown[] = [];
  readonly parts: string[] = [];
  readonly #names: string[] = [];

  /** `unnest(...)` of the given columns, each typed. */
  unnest(columns: readonly unknown[][], types: readonly string[]): string {
    const placeholders = columns.map((column, i) => {
      this.values.push(column);
      return `$${this.values.length}::${types[i]}[]`;
    });
    return `unnest(${placeholders.join(', ')})`;
  }

  param(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }

  add(name: string, sql: string): void {
    this.#names.push(name);
    this.parts.push(`${name} AS (${sql})`);
  }

  get name(): string {
    return `batch_${this.#names.join('_')}`;
  }

  get text(): string {
    return `WITH ${this.parts.join(',\n')}\nSELECT 1`;
  }
}

function runColumns(runs: readonly RunRowParams[], host: string): unknown[][] {
  return [
    runs.map((r) => r.runId),
    runs.map((r) => r.flowId),
    runs.map((r) => r.flowVersion),
    runs.map((r) => r.status),
    runs.map((r) => r.inputs),
    runs.map((r) => r.startedAt),
    runs.map((r) => r.pid),
    runs.map(() => host),
    runs.map((r) => r.sessionId),
    runs.map((r) => r.parentRunId),
    runs.map((r) => r.depth),
    runs.map((r) => r.attempt),
    runs.map((r) => r.source),
    runs.map((r) => r.owner),
    runs.map((r) => r.origin),
  ];
}

function finishColumns(finishes: readonly FinishParams[]): unknown[][] {
  return [
    finishes.map((f) => f.outputs),
    finishes.map((f) => f.error),
    finishes.map((f) => f.usage),
    finishes.map((f) => f.cost),
    finishes.map((f) => f.endedAt),
    finishes.map((f) => f.durationMs),
    finishes.map((f) => f.ttftMs),
  ];
}

/**
 * The one statement that writes batches, or undefined when they hold nothing. Its parts: new runs (a run that starts
 * and ends within the batches is inserted finished); the rows of the runs whose events and final states it writes,
 * locked FOR SHARE (the locks taken in run id order, each row's before its update); those events and final states whose
 * attempt is not older than the row's; `published_runs` and `run_jobs`. Postgres runs the parts in an order of its
 * own, on one snapshot: they do not see each other's rows, so an event of a run inserted by the same statement finds
 * no row and is kept (as is any event of a run without a row: only a newer attempt fences). The lock holds off a claim
 * (an UPDATE of the row) until the statement commits: a worker that claims a run sees every event the previous attempt
 * committed, and none of that attempt's lands after the claim; a claim committed first is seen by the lock, which
 * reads the row's newest version.
 * `host` is written beside each run's pid (crash recovery judges only its own machine's pids).
 */
export function batchStatement(
  batches: readonly WriteBatch[],
  host: string,
): { name: string; text: string; values: unknown[] } | undefined {
  const finishes = finishesByRun(batches);
  const plainRuns: RunRowParams[] = [];
  const finishedRuns: (RunRowParams & { finish: FinishParams })[] = [];
  for (const batch of batches) {
    for (const run of batch.runs) {
      const finish = finishes.get(run.runId);
      if (finish && finish.attempt >= run.attempt) {
        finishedRuns.push({ ...run, finish });
        finishes.delete(run.runId);
      } else plainRuns.push(run);
    }
  }
  const statement = new Statement();
  if (plainRuns.length > 0) {
    const rows = statement.unnest(runColumns(plainRuns, host), RUN_TYPES);
    statement.add('r', `INSERT INTO runs (${RUN_COLUMNS}) SELECT * FROM ${rows} ON CONFLICT (run_id) DO NOTHING`);
  }
  if (finishedRuns.length > 0) {
    // The row as it ends: the final status instead of the starting one. Written again, its final state still lands
    // unless the run has moved on to a later attempt.
    const ended = finishedRuns.map((r) => ({ ...r, status: r.finish.status }));
    const rows = statement.unnest(
      [...runColumns(ended, host), ...finishColumns(finishedRuns.map((r) => r.finish))],
      [...RUN_TYPES, ...FINISH_TYPES],
    );
    statement.add(
      'f',
      `INSERT INTO runs (${RUN_COLUMNS}, outputs, error, usage, cost, ended_at, duration_ms, ttft_ms)
      SELECT * FROM ${rows}
      ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, outputs = excluded.outputs, error = excluded.error,
        usage = excluded.usage, cost = excluded.cost, ended_at = excluded.ended_at, duration_ms = excluded.duration_ms,
        ttft_ms = excluded.ttft_ms
      WHERE runs.attempt <= excluded.attempt`,
    );
  }

  const events: { runId: string; seq: number; attempt: number; type: string; json: string }[] = [];
  for (const batch of batches) {
    forEachEvent(batch.events, (runId, seq, attempt, type, json) => events.push({ runId, seq, attempt, type, json }));
  }
  const later = [...finishes.values()];
  if (events.length > 0 || later.length > 0) {
    const runIds = [...new Set([...events.map((e) => e.runId), ...later.map((f) => f.runId)])];
    statement.add(
      'l',
      `SELECT run_id, attempt FROM runs WHERE run_id = ANY(${statement.param(runIds, 'text[]')})
      ORDER BY run_id FOR SHARE`,
    );
    if (events.length > 0) {
      const rows = statement.unnest(
        [
          events.map((e) => e.runId),
          events.map((e) => e.seq),
          events.map((e) => e.type),
          events.map((e) => e.json),
          events.map((e) => e.attempt),
        ],
        ['text', 'int', 'text', 'text', 'int'],
      );
      statement.add(
        'e',
        `INSERT INTO run_events (run_id, seq, type, json)
        SELECT e.run_id, e.seq, e.type, e.json FROM ${rows} AS e(run_id, seq, type, json, attempt)
          LEFT JOIN l ON l.run_id = e.run_id
        WHERE l.attempt IS NULL OR l.attempt <= e.attempt
        ON CONFLICT (run_id, seq) DO NOTHING`,
      );
    }
    if (later.length > 0) {
      const rows = statement.unnest(
        [later.map((f) => f.runId), later.map((f) => f.attempt), later.map((f) => f.status), ...finishColumns(later)],
        ['text', 'int', 'text', ...FINISH_TYPES],
      );
      // Joined with the locked rows: each row is share-locked (the locks taken in run id order) before it is updated.
      statement.add(
        'u',
        `UPDATE runs SET status = f.status, outputs = f.outputs, error = f.error, usage = f.usage, cost = f.cost,
          ended_at = f.ended_at, duration_ms = f.duration_ms, ttft_ms = f.ttft_ms
        FROM ${rows} AS f(run_id, attempt, status, outputs, error, usage, cost, ended_at, duration_ms, ttft_ms)
          JOIN l ON l.run_id = f.run_id
        WHERE runs.run_id = f.run_id AND runs.attempt <= f.attempt`,
      );
    }
  }

  const published = batches.flatMap((batch) => batch.publishedRuns);
  if (published.length > 0) {
    const rows = statement.unnest(
      [
        published.map((p) => p.runId),
        published.map((p) => p.flowId),
        published.map((p) => p.version),
        published.map((p) => p.keyId),
        published.map((p) => p.endpoint),
      ],
      ['text', 'text', 'int', 'text', 'text'],
    );
    statement.add(
      'p',
      `INSERT INTO published_runs (run_id, flow_id, version, key_id, endpoint) SELECT * FROM ${rows}
      ON CONFLICT (run_id) DO NOTHING`,
    );
  }

  const jobs = batches.flatMap((batch) => batch.runJobs);
  if (jobs.length > 0) {
    const rows = statement.unnest([jobs.map((j) => j.runId), jobs.map((j) => j.job)], ['text', 'text']);
    statement.add('j', `INSERT INTO run_jobs (run_id, job) SELECT * FROM ${rows} ON CONFLICT (run_id) DO NOTHING`);
  }
  if (statement.parts.length === 0) return undefined;
  return { name: statement.name, text: statement.text, values: statement.values };
}
