import type { EvalSample, MetricsQuery, NodeSample, RunSample } from '../types.js';
import type { PgDatabase } from './db.js';

// Monitoring's reads on Postgres (`GET /api/metrics`): the same rows as SQLite's (store/monitoring.ts).

/** Top-level runs of `[from, to)`, by flow ($3), sources ($4) and published version ($5). */
const RUNS_IN_RANGE = `r.depth = 0 AND r.started_at >= $1::timestamptz AND r.started_at < $2::timestamptz
  AND ($3::text IS NULL OR r.flow_id = $3)
  AND ($4::text[] IS NULL OR r.source = ANY($4::text[]))
  AND ($5::int IS NULL OR EXISTS (SELECT 1 FROM published_runs p WHERE p.run_id = r.run_id AND p.version = $5))`;

const TOKENS = (json: string) =>
  `COALESCE((${json}->>'promptTokens')::float8, 0) + COALESCE((${json}->>'completionTokens')::float8, 0)`;

function params(query: MetricsQuery): unknown[] {
  return [query.from, query.to, query.flowId ?? null, query.sources ?? null, query.version ?? null];
}

export async function pgRunSamples(db: PgDatabase, query: MetricsQuery): Promise<RunSample[]> {
  return db.query<RunSample>(
    `SELECT r.started_at AS "startedAt", r.status, r.duration_ms AS "durationMs", r.ttft_ms AS "ttftMs",
        ${TOKENS('r.usage::jsonb')} AS tokens, COALESCE(r.cost, 0) AS "costUsd",
        (SELECT count(*) FROM feedback f WHERE f.run_id = r.run_id AND f.score IS NOT NULL)::int AS "feedbackCount",
        (SELECT COALESCE(sum(score), 0) FROM feedback f WHERE f.run_id = r.run_id AND f.score IS NOT NULL) AS "feedbackSum"
      FROM runs r WHERE ${RUNS_IN_RANGE} ORDER BY r.started_at`,
    params(query),
  );
}

export async function pgNodeSamples(db: PgDatabase, query: MetricsQuery & { nodeId: string }): Promise<NodeSample[]> {
  return db.query<NodeSample>(
    `SELECT e.j->>'at' AS at, e.type = 'node.failed' AS failed, (e.j->'data'->>'durationMs')::float8 AS "durationMs",
        ${TOKENS("(e.j->'data'->'usage')")} AS tokens, COALESCE((e.j->'data'->>'costUsd')::float8, 0) AS "costUsd"
      FROM runs r JOIN LATERAL (SELECT type, json::jsonb AS j FROM run_events ev WHERE ev.run_id = r.run_id
        AND ev.type IN ('node.completed', 'node.failed')) e ON true
      WHERE ${RUNS_IN_RANGE} AND e.j->>'nodeId' = $6 AND (e.j->>'parentSpanId') IS NULL
      ORDER BY at`,
    [...params(query), query.nodeId],
  );
}

export async function pgEvalSamples(db: PgDatabase, query: MetricsQuery): Promise<EvalSample[]> {
  return db.query<EvalSample>(
    `SELECT r.started_at AS "startedAt", j.key AS name, count(j.value->>'score')::int AS count,
        COALESCE(sum((j.value->>'score')::float8), 0) AS sum
      FROM runs r JOIN experiment_cells c ON c.run_id = r.run_id CROSS JOIN LATERAL jsonb_each(c.scores::jsonb) j
      WHERE ${RUNS_IN_RANGE} AND c.status IN ('done', 'error') AND c.scores IS NOT NULL
      GROUP BY r.run_id, r.started_at, j.key HAVING count(j.value->>'score') > 0
      ORDER BY r.started_at, r.run_id, j.key`,
    params(query),
  );
}
