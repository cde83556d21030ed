import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLOW_SCHEMA, type FlowFile, serializeFlow } from '@flowloom/nodes';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { echoFlow, removeTempDir, startTestApp, type TestApp, tempDir } from '../../testing/fixtures.js';
import { greet } from '../../testing/kinds.js';

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

function inject(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
  headers?: Record<string, string>,
) {
  return t.app.inject({ method, url, payload: payload as string | object | undefined, headers });
}

/** Everything stored about flows, to prove a rejected request changed nothing. */
async function storedState(): Promise<string> {
  const { store } = t.app.runtime;
  const flows = await store.listFlows();
  return JSON.stringify({
    flows,
    texts: await Promise.all(flows.map((f) => store.getFlowText(f.id))),
    versions: await Promise.all(flows.map((f) => store.listFlowVersions(f.id))),
  });
}

describe('flows CRUD', () => {
  it('creates, lists, reads, replaces with history and deletes a flow', async () => {
    const created = await inject('POST', '/api/flows', echoFlow());
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/api/flows/echo');
    expect(created.headers.etag).toBe('"1"');
    expect(created.json()).toMatchObject({ id: 'echo', version: 1 });

    expect((await inject('GET', '/api/flows')).json()).toEqual({
      flows: [expect.objectContaining({ id: 'echo', name: 'Echo', version: 1, description: 'Returns its question.' })],
    });

    const replaced = await inject('PUT', '/api/flows/echo', { ...echoFlow(), name: 'Echo v2' });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ name: 'Echo v2', version: 2 });
    expect((await inject('GET', '/api/flows/echo')).json()).toMatchObject({ name: 'Echo v2', version: 2 });

    const versions = await inject('GET', '/api/flows/echo/versions');
    expect(versions.json().versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const first = await inject('GET', '/api/flows/echo/versions/1');
    expect(first.json()).toMatchObject({ name: 'Echo', version: 1 });
    const missingVersion = await inject('GET', '/api/flows/echo/versions/9');
    expect(missingVersion.statusCode).toBe(404);
    expect(missingVersion.json().error.code).toBe('VERSION_NOT_FOUND');

    expect((await inject('DELETE', '/api/flows/echo')).statusCode).toBe(204);
    const gone = await inject('GET', '/api/flows/echo');
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('FLOW_NOT_FOUND');
    expect((await inject('DELETE', '/api/flows/echo')).statusCode).toBe(404);
    expect((await inject('GET', '/api/flows/echo/versions')).statusCode).toBe(404);
  });

  it('saves deterministically: load → save → load → save is byte-identical, defaults stripped', async () => {
    await inject('POST', '/api/flows', echoFlow());
    // The input and output params above equal their kind's defaults: the store keeps only real choices.
    const loaded = (await inject('GET', '/api/flows/echo')).json() as FlowFile;
    expect(loaded.nodes.every((node) => node.params === undefined)).toBe(true);
    const firstText = (await t.app.runtime.store.getFlowText('echo')) as string;
    await inject('PUT', '/api/flows/echo', loaded);
    const reloaded = (await inject('GET', '/api/flows/echo')).json() as FlowFile;
    await inject('PUT', '/api/flows/echo', reloaded);
    const thirdText = (await t.app.runtime.store.getFlowText('echo')) as string;
    expect(thirdText.replace('"version": 3', '"version": 1')).toBe(firstText);
    expect(thirdText).toBe(serializeFlow(reloaded as FlowFile).replace('"version": 2', '"version": 3'));
  });

  it('keeps non-default params and unknown kinds as they are (a draft may be unfinished)', async () => {
    const flow = echoFlow();
    flow.nodes.push({ id: 'mystery', type: 'no-such-kind', position: { x: 1, y: 2 }, params: { x: 1 } });
    (flow.nodes[0] as FlowFile['nodes'][number]).params = { name: 'q', dataType: 'text' };
    const created = await inject('POST', '/api/flows', flow);
    expect(created.statusCode).toBe(201);
    const stored = created.json() as FlowFile;
    expect(stored.nodes[0]?.params).toEqual({ name: 'q' });
    expect(stored.nodes[2]).toEqual({
      id: 'mystery',
      type: 'no-such-kind',
      position: { x: 1, y: 2 },
      params: { x: 1 },
    });
    const validation = await inject('POST', '/api/flows/echo/validate');
    expect(validation.json().ok).toBe(false);
    expect(validation.json().problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ nodeId: 'mystery', code: 'NODE_TYPE_UNKNOWN' })]),
    );
  });

  it('detects concurrent saves with If-Match or the body version (409 FLOW_VERSION_CONFLICT)', async () => {
    await inject('POST', '/api/flows', echoFlow());
    const mine = (await inject('GET', '/api/flows/echo')).json() as FlowFile;
    expect((await inject('PUT', '/api/flows/echo', { ...mine, name: 'theirs' })).statusCode).toBe(200);
    const before = await storedState();

    const stale = await inject('PUT', '/api/flows/echo', { ...mine, name: 'mine' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({
      code: 'FLOW_VERSION_CONFLICT',
      details: [{ currentVersion: 2, yourVersion: 1 }],
    });

    const staleHeader = await inject('PUT', '/api/flows/echo', { ...echoFlow(), name: 'mine' }, { 'if-match': '"1"' });
    expect(staleHeader.statusCode).toBe(409);
    expect(await storedState()).toBe(before);

    const badHeader = await inject('PUT', '/api/flows/echo', echoFlow(), { 'if-match': 'yesterday' });
    expect(badHeader.statusCode).toBe(400);
    expect(badHeader.json().error.details).toEqual([expect.objectContaining({ field: 'headers.if-match' })]);

    const fresh = await inject('PUT', '/api/flows/echo', { ...echoFlow(), name: 'mine' }, { 'if-match': '"2"' });
    expect(fresh.statusCode).toBe(200);
    expect(fresh.json().version).toBe(3);
  });
});

describe('flows: bad input leaves the store unchanged', () => {
  beforeEach(async () => {
    await inject('POST', '/api/flows', echoFlow());
  });

  it('malformed JSON → 400 BAD_REQUEST', async () => {
    const before = await storedState();
    const res = await inject('POST', '/api/flows', '{"format": ', { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BAD_REQUEST');
    const put = await inject('PUT', '/api/flows/echo', '{nope}', { 'content-type': 'application/json' });
    expect(put.statusCode).toBe(400);
    expect(await storedState()).toBe(before);
  });

  it('a schema-invalid flow → 400 VALIDATION_FAILED listing every field at fault', async () => {
    const before = await storedState();
    const bad = {
      ...echoFlow('other'),
      format: 'flowloom.flow/v0',
      name: 42,
      nodes: [{ id: 'q', type: 'input', position: { x: 'left', y: 0 }, selected: true }],
      extra: true,
    };
    const res = await inject('POST', '/api/flows', bad);
    expect(res.statusCode).toBe(400);
    const { code, details } = res.json().error;
    expect(code).toBe('VALIDATION_FAILED');
    const fields = details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'body.format',
        'body.name',
        'body.nodes.0.position.x',
        'body.nodes.0.selected',
        'body.extra',
      ]),
    );
    expect(await storedState()).toBe(before);
  });

  it('ids with path characters → 400 naming the field', async () => {
    const before = await storedState();
    const body = await inject('POST', '/api/flows', echoFlow('../etc/passwd'));
    expect(body.statusCode).toBe(400);
    expect(body.json().error.details).toEqual([expect.objectContaining({ field: 'body.id' })]);
    for (const url of ['/api/flows/..%2F..%2Fetc', '/api/flows/a%5Cb', '/api/flows/UPPER']) {
      const res = await inject('GET', url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.details, url).toEqual([expect.objectContaining({ field: 'params.id' })]);
    }
    expect((await inject('DELETE', '/api/flows/..%2Fecho')).statusCode).toBe(400);
    expect(await storedState()).toBe(before);
  });

  it('a body over 1 MiB → 413 BODY_TOO_LARGE', async () => {
    const before = await storedState();
    const huge = { ...echoFlow('huge'), description: 'x'.repeat(1024 * 1024 + 10) };
    const res = await inject('POST', '/api/flows', huge);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('BODY_TOO_LARGE');
    expect(await storedState()).toBe(before);
  });

  it('creating an existing id → 409 FLOW_EXISTS', async () => {
    const before = await storedState();
    const res = await inject('POST', '/api/flows', { ...echoFlow(), name: 'Overwrite?' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('FLOW_EXISTS');
    expect(await storedState()).toBe(before);
  });

  it('PUT to an unknown flow → 404; with another id in the body → 400 naming body.id', async () => {
    const before = await storedState();
    const unknown = await inject('PUT', '/api/flows/nope', echoFlow('nope'));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('FLOW_NOT_FOUND');
    const mismatch = await inject('PUT', '/api/flows/echo', echoFlow('other'));
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().error.details).toEqual([expect.objectContaining({ field: 'body.id' })]);
    expect(await storedState()).toBe(before);
  });

  it('a wrong content type → 415 with the error shape, text/plain included', async () => {
    const form = await inject('POST', '/api/flows', 'format=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.statusCode).toBe(415);
    expect(form.json().error.code).toBe('BAD_REQUEST');
    const text = await inject('POST', '/api/flows/echo/runs', '{"inputs":{}}', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    expect(text.json().error).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('application/json'),
    });
  });
});

describe('validation and schema', () => {
  it('POST /api/validate reports every problem of an unsaved flow without storing it', async () => {
    const flow = echoFlow('draft');
    flow.edges.push({ id: 'e2', source: 'question', sourcePort: 'nope', target: 'answer', targetPort: 'value' });
    const res = await inject('POST', '/api/validate', flow);
    expect(res.statusCode).toBe(200);
    expect(res.json().ok).toBe(false);
    expect(res.json().problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ nodeId: 'question', port: 'nope', code: 'PORT_UNKNOWN' })]),
    );
    expect((await inject('POST', '/api/validate', echoFlow())).json()).toEqual({ ok: true, problems: [] });
    const garbage = await inject('POST', '/api/validate', [1, 2]);
    expect(garbage.json().ok).toBe(false);
    // Any JSON at all, `null` included, is a 200 with problems (never a 400 or a 500).
    for (const payload of ['null', '1', '"flow"']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/validate',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      expect([res.statusCode, res.json().ok, res.json().problems[0]?.code], payload).toEqual([200, false, 'SCHEMA']);
    }
    expect(await t.app.runtime.store.listFlows()).toEqual([]);
  });

  it('POST /api/flows/:id/validate validates the saved draft; 404 when unknown', async () => {
    await inject('POST', '/api/flows', echoFlow());
    expect((await inject('POST', '/api/flows/echo/validate')).json()).toEqual({ ok: true, problems: [] });
    expect((await inject('POST', '/api/flows/nope/validate')).statusCode).toBe(404);
  });

  it('GET /api/flows/:id/inputs lists run inputs and outputs, and the chat face', async () => {
    await inject('POST', '/api/flows', echoFlow());
    const res = await inject('GET', '/api/flows/echo/inputs');
    expect(res.json()).toEqual({
      inputs: [expect.objectContaining({ name: 'question', dataType: 'text', required: true, nodeId: 'question' })],
      outputs: [{ nodeId: 'answer', name: 'answer' }],
      chat: { input: 'question', output: 'answer', answerNodeId: 'question' },
    });
    const other = echoFlow('other');
    other.nodes.push({ id: 'n', type: 'input', position: { x: 0, y: 0 }, params: { name: 'other' } });
    await inject('POST', '/api/flows', other);
    expect((await inject('GET', '/api/flows/other/inputs')).json()).toMatchObject({ chat: null });
  });

  it('GET /api/schema/flow.json serves the flow JSON Schema', async () => {
    const res = await inject('GET', '/api/schema/flow.json');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/schema+json');
    expect(res.json()).toEqual(JSON.parse(JSON.stringify(FLOW_SCHEMA)));
  });
});

describe('templates', () => {
  it('lists the flows folder as templates (skipping broken files) and creates a flow from one', async () => {
    const dir = tempDir('templates');
    writeFileSync(join(dir, 'echo.flow.json'), serializeFlow(echoFlow()));
    writeFileSync(join(dir, 'broken.flow.json'), '{ not json');
    writeFileSync(join(dir, 'README.md'), '# not a flow');
    // The templates folder is the HTTP shell's config: an app of its own.
    await t.close();
    t = await startTestApp({ templatesDir: dir });
    onTestFinished(() => removeTempDir(dir));

    const list = await inject('GET', '/api/templates');
    expect(list.json()).toEqual({ templates: [{ id: 'echo', name: 'Echo', description: 'Returns its question.' }] });
    const template = (await inject('GET', '/api/templates/echo')).json() as FlowFile;
    expect(template.id).toBe('echo');
    expect((await inject('GET', '/api/templates/nope')).statusCode).toBe(404);
    // The store starts empty; the editor makes a flow from a template under the id it likes.
    expect(await t.app.runtime.store.listFlows()).toEqual([]);
    expect((await inject('POST', '/api/flows', { ...template, id: 'my-echo' })).statusCode).toBe(201);
  });

  it('offers every flow of the repository as a template that can be created as a flow', async () => {
    const templatesDir = fileURLToPath(new URL('../../../../flows/', import.meta.url));
    const repo = await startTestApp({ templatesDir });
    try {
      const files = readdirSync(templatesDir).filter((name) => name.endsWith('.flow.json'));
      const { templates } = (await repo.app.inject({ method: 'GET', url: '/api/templates' })).json();
      expect(templates).toHaveLength(files.length);
      for (const { id } of templates as { id: string }[]) {
        const template = (await repo.app.inject({ method: 'GET', url: `/api/templates/${id}` })).json();
        const created = await repo.app.inject({ method: 'POST', url: '/api/flows', payload: template });
        expect(created.statusCode, id).toBe(201);
      }
    } finally {
      await repo.close();
    }
  });
});

describe('node kind versions', () => {
  const fixture = fileURLToPath(new URL('../../testing/flows/greet-v1.flow.json', import.meta.url));
  const greetNode = (flow: FlowFile, id: string) => flow.nodes.find((node) => node.id === id);

  it('migrates a flow saved by an older kind version on create, validate and template load; saves typeVersion', async () => {
    t.app.runtime.registry.register(greet);
    const old = JSON.parse(readFileSync(fixture, 'utf8')) as FlowFile;
    expect((await inject('POST', '/api/validate', old)).json()).toEqual({ ok: true, problems: [] });
    const created = (await inject('POST', '/api/flows', old)).json() as FlowFile;
    expect(greetNode(created, 'default')).toMatchObject({ typeVersion: 2, params: { salutation: 'Hello' } });
    expect(greetNode(created, 'custom')).toMatchObject({ typeVersion: 2, params: { salutation: 'Howdy' } });
    expect(created.nodes.every((node) => node.typeVersion !== undefined)).toBe(true);
    const run = await inject('POST', '/api/flows/greet-v1/runs', { inputs: { name: 'Ada' } });
    expect(run.json()).toMatchObject({ status: 'completed', outputs: { plain: 'Hello, Ada', fancy: 'Howdy, Ada' } });

    const dir = tempDir('templates');
    onTestFinished(() => removeTempDir(dir));
    copyFileSync(fixture, join(dir, 'greet-v1.flow.json'));
    await t.close();
    t = await startTestApp({ templatesDir: dir });
    t.app.runtime.registry.register(greet);
    const template = (await inject('GET', '/api/templates/greet-v1')).json() as FlowFile;
    expect(greetNode(template, 'default')).toMatchObject({ typeVersion: 2, params: { salutation: 'Hello' } });
  });

  it('answers a node newer than its kind with NODE_TYPE_VERSION_UNSUPPORTED, and keeps it as it is in a draft', async () => {
    const flow = echoFlow('future');
    flow.nodes[1] = { ...(flow.nodes[1] as FlowFile['nodes'][number]), typeVersion: 7 };
    expect((await inject('POST', '/api/validate', flow)).json()).toMatchObject({
      ok: false,
      problems: [{ nodeId: 'answer', code: 'NODE_TYPE_VERSION_UNSUPPORTED' }],
    });
    const created = (await inject('POST', '/api/flows', flow)).json() as FlowFile;
    // Every param kept, even one equal to this runtime's default ('answer'): version 7 may have another default.
    expect(greetNode(created, 'answer')).toMatchObject({ typeVersion: 7, params: { name: 'answer' } });
  });
});
