import type Database from 'better-sqlite3';
import type { EvalSample, MetricsQuery, NodeSample, RunSample } from './types.js';

/** The filter both monitoring reads share: top-level runs of `[from, to)`, by flow, sources and published version. */
const RUNS_IN_RANGE = `r.depth = 0 AND r.startedAt >= @from AND r.startedAt < @to
  AND (@flowId IS NULL OR r.flowId = @flowId)
  AND (@sources IS NULL OR r.source IN (SELECT value FROM json_each(@sources)))
  AND (@version IS NULL OR EXISTS (SELECT 1 FROM published_runs p WHERE p.runId = r.runId AND p.version = @version))`;

const TOKENS = (column: string) =>
  `COALESCE(json_extract(${column}, '$.promptTokens'), 0) + COALESCE(json_extract(${column}, '$.completionTokens'), 0)`;

function params(query: MetricsQuery) {
  return {
    from: query.from,
    to: query.to,
    flowId: query.flowId ?? null,
    sources: query.sources ? JSON.stringify(query.sources) : null,
    version: query.version ?? null,
  };
}

/** What monitoring reads from SQLite (`GET /api/metrics`): runs and node executions in a time range. */
export class SqliteMonitoring {
  readonly #sql;

  constructor(db: Database.Database) {
    this.#sql = {
      runs: db.prepare(`SELECT r.startedAt, r.status, r.durationMs, r.ttftMs, ${TOKENS('r.usage')} AS tokens,
          COALESCE(r.cost, 0) AS costUsd,
          (SELECT COUNT(*) FROM feedback f WHERE f.runId = r.runId AND f.score IS NOT NULL) AS feedbackCount,
          (SELECT COALESCE(SUM(score), 0) FROM feedback f WHERE f.runId = r.runId AND f.score IS NOT NULL) AS feedbackSum
        FROM runs r WHERE ${RUNS_IN_RANGE} ORDER BY r.startedAt`),
      // A node's top-level span ends with node.completed or node.failed (child spans have a parentSpanId).
      nodes: db.prepare(`SELECT json_extract(e.json, '$.at') AS at, e.type = 'node.failed' AS failed,
          json_extract(e.json, '$.data.durationMs') AS durationMs, ${TOKENS("json_extract(e.json, '$.data.usage')")}
          AS tokens, COALESCE(json_extract(e.json, '$.data.costUsd'), 0) AS costUsd
        FROM runs r JOIN run_events e ON e.runId = r.runId
        WHERE ${RUNS_IN_RANGE} AND e.type IN ('node.completed', 'node.failed')
          AND json_extract(e.json, '$.nodeId') = @nodeId AND json_extract(e.json, '$.parentSpanId') IS NULL
        ORDER BY at`),
      // The verdicts of the experiment cell each run was made for: per evaluator, those with a score and their sum.
      evals: db.prepare(`SELECT r.startedAt, j.key AS name, COUNT(json_extract(j.value, '$.score')) AS count,
          COALESCE(SUM(json_extract(j.value, '$.score')), 0) AS sum
        FROM runs r JOIN experiment_cells c ON c.runId = r.runId JOIN json_each(c.scores) j
        WHERE ${RUNS_IN_RANGE} AND c.status IN ('done', 'error') AND c.scores IS NOT NULL
        GROUP BY r.runId, j.key HAVING COUNT(json_extract(j.value, '$.score')) > 0
        ORDER BY r.startedAt, r.runId, j.key`),
    };
  }

  runSamples(query: MetricsQuery): RunSample[] {
    return this.#sql.runs.all(params(query)) as RunSample[];
  }

  evalSamples(query: MetricsQuery): EvalSample[] {
    return this.#sql.evals.all(params(query)) as EvalSample[];
  }

  nodeSamples(query: MetricsQuery & { nodeId: string }): NodeSample[] {
    const rows = this.#sql.nodes.all({ ...params(query), nodeId: query.nodeId }) as (Omit<NodeSample, 'failed'> & {
      failed: number;
    })[];
    return rows.map((row) => ({ ...row, failed: row.failed === 1 }));
  }
}
