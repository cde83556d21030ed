import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBin } from '../testing/bin.js';
import { type Cluster, type ClusterProcess, createCluster } from '../testing/cluster.js';
import { echoFlow, flowOf, removeTempDir, tempDir } from '../testing/fixtures.js';

// Pausing runs (docs/contracts.md §9) is not supported in the api and worker roles yet: nothing breaks there. A queued
// run ignores breakpoints, an approval node fails with APPROVAL_UNSUPPORTED, and nothing is ever paused to resume.

let cluster: Cluster;
let dataDir: string;
let api: ClusterProcess;

beforeAll(async () => {
  buildBin();
  dataDir = tempDir('cluster-pause');
  cluster = await createCluster(dataDir);
  [api] = await Promise.all([cluster.startApi('api-1'), cluster.startWorker('worker-1')]);
}, 90_000);

afterAll(async () => {
  await cluster?.close();
  removeTempDir(dataDir);
}, 30_000);

async function send(method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await fetch(`${api.url}${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('pausing in the api and worker roles', () => {
  it('a queued run ignores breakpoints, an approval node fails, unknown breakpoints are a 400, resume a 409', async () => {
    expect((await send('POST', '/api/flows', echoFlow('echo-q'))).status).toBe(201);
    const review = flowOf(
      'review-q',
      [
        ['question', 'input'],
        ['approve', 'approval'],
        ['answer', 'output', { name: 'answer' }],
      ],
      ['question.value→approve.value', 'approve.value→answer.value'],
    );
    expect((await send('POST', '/api/flows', review)).status).toBe(201);

    const ignored = await send('POST', '/api/flows/echo-q/runs', {
      inputs: { question: 'hi' },
      breakpoints: ['answer'],
    });
    expect(ignored.body).toMatchObject({ status: 'completed', outputs: { answer: 'hi' } });
    const unknown = await send('POST', '/api/flows/echo-q/runs', { inputs: { question: 'hi' }, breakpoints: ['nope'] });
    expect(unknown.status).toBe(400);

    const failed = await send('POST', '/api/flows/review-q/runs', { inputs: { question: 'hi' } });
    expect(failed.body).toMatchObject({ status: 'failed', error: { code: 'APPROVAL_UNSUPPORTED' } });
    const resume = await send('POST', `/api/runs/${failed.body.runId}/resume`, {
      nodeId: 'approve',
      action: 'approve',
    });
    expect(resume.status).toBe(409);
  });
});
