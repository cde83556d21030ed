import type pg from 'pg';
import { type FinishParams, finishesByRun, forEachEvent, type RunRowParams, type WriteBatch } from '../row-writes.js';

// One group commit on Postgres: every statement takes whole columns as arrays (unnest), so a batch of any size is a
// handful of statements, each prepared once per connection (named). Every write is idempotent (ON CONFLICT DO
// NOTHING, updates by key), so a batch not known to be committed can be written again.

const INSERT_RUNS = {
  name: 'batch_insert_runs',
  text: `INSERT INTO runs (run_id, flow_id, flow_version, status, inputs, started_at, pid, host, session_id,
      parent_run_id, depth, attempt, source, owner, origin)
    SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamptz[], $7::int[],
      $8::text[], $9::text[], $10::text[], $11::int[], $12::int[], $13::text[], $14::text[], $15::text[])
    ON CONFLICT (run_id) DO NOTHING`,
};

// A run that starts and ends within the batch is inserted finished; written again, its final state still lands unless
// the run has moved on to a later attempt.
const INSERT_FINISHED_RUNS = {
  name: 'batch_insert_finished_runs',
  text: `INSERT INTO runs (run_id, flow_id, flow_version, status, inputs, started_at, pid, host, session_id,
      parent_run_id, depth, attempt, source, owner, origin, outputs, error, usage, cost, ended_at, duration_ms, ttft_ms)
    SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamptz[], $7::int[],
      $8::text[], $9::text[], $10::text[], $11::int[], $12::int[], $13::text[], $14::text[], $15::text[], $16::text[],
      $17::text[], $18::text[], $19::float8[], $20::timestamptz[], $21::int[], $22::float8[])
    ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, outputs = excluded.outputs, error = excluded.error,
      usage = excluded.usage, cost = excluded.cost, ended_at = excluded.ended_at, duration_ms = excluded.duration_ms,
      ttft_ms = excluded.ttft_ms
    WHERE runs.attempt <= excluded.attempt`,
};

// FOR SHARE holds off a claim (an UPDATE of the row) until this batch commits: a worker that claims a run sees every
// event the previous attempt committed, and none of that attempt's lands after the claim.
const LOCK_RUNS = {
  name: 'batch_lock_runs',
  text: 'SELECT run_id, attempt FROM runs WHERE run_id = ANY($1::text[]) ORDER BY run_id FOR SHARE',
};

const INSERT_EVENTS = {
  name: 'batch_insert_events',
  text: `INSERT INTO run_events (run_id, seq, type, json)
    SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[])
    ON CONFLICT (run_id, seq) DO NOTHING`,
};

const FINISH_RUNS = {
  name: 'batch_finish_runs',
  text: `UPDATE runs SET status = f.status, outputs = f.outputs, error = f.error, usage = f.usage, cost = f.cost,
      ended_at = f.ended_at, duration_ms = f.duration_ms, ttft_ms = f.ttft_ms
    FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[],
      $8::timestamptz[], $9::int[], $10::float8[])
      AS f(run_id, attempt, status, outputs, error, usage, cost, ended_at, duration_ms, ttft_ms)
    WHERE runs.run_id = f.run_id AND runs.attempt <= f.attempt`,
};

const INSERT_PUBLISHED_RUNS = {
  name: 'batch_insert_published_runs',
  text: `INSERT INTO published_runs (run_id, flow_id, version, key_id, endpoint)
    SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[])
    ON CONFLICT (run_id) DO NOTHING`,
};

const INSERT_RUN_JOBS = {
  name: 'batch_insert_run_jobs',
  text: `INSERT INTO run_jobs (run_id, job) SELECT * FROM unnest($1::text[], $2::text[])
    ON CONFLICT (run_id) DO NOTHING`,
};

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
 * Writes batches, in order, inside the caller's transaction: new runs (finished ones at once), then, with the runs'
 * rows locked, the events and final states whose attempt is not older than the row's, then `published_runs` and
 * `run_jobs`.
 * `host` is written beside each run's pid (crash recovery judges only its own machine's pids).
 */
export async function writeBatches(client: pg.PoolClient, batches: readonly WriteBatch[], host: string): Promise<void> {
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
  if (plainRuns.length > 0) await client.query({ ...INSERT_RUNS, values: runColumns(plainRuns, host) });
  if (finishedRuns.length > 0) {
    // The row as it ends: the final status instead of the starting one.
    const rows = finishedRuns.map((r) => ({ ...r, status: r.finish.status }));
    const values = [...runColumns(rows, host), ...finishColumns(finishedRuns.map((r) => r.finish))];
    await client.query({ ...INSERT_FINISHED_RUNS, values });
  }

  const events: { runId: string; seq: number; attempt: number; type: string; json: string }[] = [];
  for (const batch of batches) {
    forEachEvent(batch.events, (runId, seq, attempt, type, json) => events.push({ runId, seq, attempt, type, json }));
  }
  const later = [...finishes.values()];
  if (events.length > 0 || later.length > 0) {
    const runIds = [...new Set([...events.map((e) => e.runId), ...later.map((f) => f.runId)])];
    const { rows } = await client.query<{ run_id: string; attempt: number }>({ ...LOCK_RUNS, values: [runIds] });
    const attempts = new Map(rows.map((row) => [row.run_id, row.attempt]));
    // An event of a run without a row is kept: only a newer attempt fences.
    const kept = events.filter((e) => (attempts.get(e.runId) ?? e.attempt) <= e.attempt);
    if (kept.length > 0) {
      await client.query({
        ...INSERT_EVENTS,
        values: [kept.map((e) => e.runId), kept.map((e) => e.seq), kept.map((e) => e.type), kept.map((e) => e.json)],
      });
    }
    if (later.length > 0) {
      const values = [
        later.map((f) => f.runId),
        later.map((f) => f.attempt),
        later.map((f) => f.status),
        ...finishColumns(later),
      ];
      await client.query({ ...FINISH_RUNS, values });
    }
  }

  const published = batches.flatMap((batch) => batch.publishedRuns);
  if (published.length > 0) {
    await client.query({
      ...INSERT_PUBLISHED_RUNS,
      values: [
        published.map((p) => p.runId),
        published.map((p) => p.flowId),
        published.map((p) => p.version),
        published.map((p) => p.keyId),
        published.map((p) => p.endpoint),
      ],
    });
  }

  const jobs = batches.flatMap((batch) => batch.runJobs);
  if (jobs.length > 0) {
    await client.query({ ...INSERT_RUN_JOBS, values: [jobs.map((j) => j.runId), jobs.map((j) => j.job)] });
  }
}
