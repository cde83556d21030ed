import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBin } from '../testing/bin.js';
import { type Cluster, type ClusterProcess, createCluster } from '../testing/cluster.js';
import { echoFlow, flowOf, removeTempDir, tempDir } from '../testing/fixtures.js';
import { waitFor } from './watch.js';

// What main gained while the roles were built, in a cluster (1 api process, 1 worker, real processes): a run tree's
// node budget (FLOWLOOM_MAX_NODE_RUNS) holds on the worker that executes a queued run; an experiment started through
// an api process runs its cells as queued runs on the worker; runs are exported (OTLP) by the worker that executes
// them, never by an api process (which only mirrors them).

/** A minimal OTLP/HTTP JSON collector that keeps, per span, the `service.name` of the process that sent it. */
class Collector {
  readonly spans: { service: string; name: string; runId?: string }[] = [];
  readonly #server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      type Attribute = { key: string; value: { stringValue?: string } };
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: Attribute[] };
          scopeSpans: { spans: { name: string; attributes: Attribute[] }[] }[];
        }[];
      };
      for (const resource of body.resourceSpans) {
        const find = (attributes: Attribute[], key: string) => attributes.find((a) => a.key === key)?.value.stringValue;
        const service = find(resource.resource.attributes, 'service.name') ?? '';
        for (const scope of resource.scopeSpans) {
          for (const span of scope.spans) {
            this.spans.push({ service, name: span.name, runId: find(span.attributes, 'flowloom.run.id') });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

let cluster: Cluster;
let dataDir: string;
let db: pg.Client;
let api: ClusterProcess;
let worker: ClusterProcess;
const collector = new Collector();

beforeAll(async () => {
  buildBin();
  dataDir = tempDir('cluster-merge');
  const endpoint = await collector.start();
  cluster = await createCluster(dataDir, {
    FLOWLOOM_MAX_NODE_RUNS: '40',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  });
  [api, worker] = await Promise.all([
    cluster.startApi('api-1', { OTEL_SERVICE_NAME: 'flowloom-api' }),
    cluster.startWorker('worker-1', { OTEL_SERVICE_NAME: 'flowloom-worker' }),
  ]);
  db = new pg.Client({ connectionString: cluster.database.url });
  await db.connect();
}, 90_000);

afterAll(async () => {
  await db?.end();
  await cluster?.close();
  await collector.close();
  removeTempDir(dataDir);
}, 30_000);

function send(method: 'GET' | 'POST', path: string, body?: unknown) {
  return fetch(`${api.url}${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
}

async function save(flow: unknown): Promise<void> {
  const res = await send('POST', '/api/flows', flow);
  expect(res.status, await res.clone().text()).toBe(201);
}

describe('hardening, LLMOps and OTLP in the api and worker roles', () => {
  it('a queued run tree stops at FLOWLOOM_MAX_NODE_RUNS on the worker, with no child run past it', async () => {
    await save(
      flowOf(
        'leaf',
        [
          ['item', 'input', { name: 'item', dataType: 'json' }],
          ['work', 'code', { code: 'return inputs.input;' }],
          ['out', 'output', { name: 'out' }],
        ],
        ['item.value→work.input', 'work.result→out.value'],
      ),
    );
    for (const [id, inner] of [
      ['fan', 'leaf'],
      ['outer', 'fan'],
    ] as const) {
      await save(
        flowOf(
          id,
          [
            ['item', 'input', { name: 'item', dataType: 'json' }],
            ['map', 'map', { flowId: inner, concurrency: 4 }],
            ['out', 'output', { name: 'out' }],
          ],
          ['item.value→map.items', 'map.results→out.value'],
        ),
      );
    }
    // 20 × 50 = 1,000 leaf runs of 3 nodes without a limit.
    const lists = Array.from({ length: 20 }, (_, i) => Array.from({ length: 50 }, (_, j) => i * 50 + j));
    const res = await send('POST', '/api/flows/outer/runs', { inputs: { item: lists } });
    const answer = (await res.json()) as { runId: string; status: string; error?: { code: string; message: string } };
    expect(answer.status).toBe('failed');
    expect(answer.error?.code).toBe('RUN_NODE_LIMIT');
    expect(answer.error?.message).toContain('FLOWLOOM_MAX_NODE_RUNS');
    const root = await db.query('SELECT pid, attempt FROM runs WHERE run_id = $1', [answer.runId]);
    // Executed by the worker (it claimed the row), not by the api process.
    expect(root.rows[0]).toMatchObject({ pid: worker.child.pid, attempt: 1 });
    const { rows } = await db.query('SELECT status, source FROM runs');
    // Each run executes at least one node, so the tree holds at most 40 runs; none is left running.
    expect(rows.length).toBeLessThanOrEqual(40);
    expect(rows.filter((row: { status: string }) => row.status === 'running' || row.status === 'queued')).toEqual([]);
    // The child runs the worker made take the queued run's source, as they do where a run starts.
    expect(rows.length).toBeGreaterThan(1);
    expect(new Set(rows.map((row: { source: string | null }) => row.source))).toEqual(new Set(['editor']));
  }, 60_000);

  it('an experiment started through an api process runs every cell as a queued run on the worker', async () => {
    await save(echoFlow());
    expect((await send('POST', '/api/datasets', { id: 'qa', name: 'QA' })).status).toBe(201);
    const items = ['ping', 'pong', 'hello'].map((q) => ({ id: q, input: { question: q }, expected: q }));
    expect((await send('POST', '/api/datasets/qa/items', { items })).status).toBe(201);
    const res = await send('POST', '/api/experiments', {
      datasetId: 'qa',
      targets: [{ flowId: 'echo', version: 'draft' }],
      evaluators: [{ type: 'exact' }],
    });
    expect(res.status).toBe(202);
    const { experimentId } = (await res.json()) as { experimentId: string };
    const experiment = await waitFor(
      async () => {
        const view = (await (await send('GET', `/api/experiments/${experimentId}`)).json()) as {
          status: string;
          progress: { done: number; total: number; errors: number };
        };
        return view.status === 'queued' || view.status === 'running' ? undefined : view;
      },
      30_000,
      'the experiment to end',
    );
    expect(experiment).toMatchObject({ status: 'completed', progress: { done: 3, total: 3, errors: 0 } });
    const { rows } = await db.query(
      `SELECT r.pid, r.attempt, r.status, r.source FROM experiment_cells c JOIN runs r ON r.run_id = c.run_id
       WHERE c.experiment_id = $1`,
      [experimentId],
    );
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row).toMatchObject({ pid: worker.child.pid, attempt: 1, status: 'completed', source: 'experiment' });
    }
  }, 60_000);

  it('runs are exported by the worker that executes them, not by the api process', async () => {
    const res = await send('POST', '/api/flows/echo/runs', { inputs: { question: 'traced' } });
    const { runId, status } = (await res.json()) as { runId: string; status: string };
    expect(status).toBe('completed');
    await waitFor(
      () => collector.spans.some((span) => span.runId === runId && span.name.startsWith('invoke_workflow')),
      30_000,
      "the run's root span",
    );
    // Closing the api process sends whatever its exporter holds: had it exported the run, it would be here now.
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe('0');
    expect(collector.spans.filter((span) => span.runId === runId).map((span) => span.service)).toEqual(
      expect.arrayContaining(['flowloom-worker']),
    );
    expect(collector.spans.filter((span) => span.service === 'flowloom-api')).toEqual([]);
  }, 60_000);
});
