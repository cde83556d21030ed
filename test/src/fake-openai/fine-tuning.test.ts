import OpenAI, { toFile } from 'openai';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeOpenAI } from './server.js';

const fake = await startFakeOpenAI();
const client = new OpenAI({ baseURL: fake.url, apiKey: 'test', maxRetries: 0 });
afterEach(() => {
  vi.useRealTimers();
  fake.reset();
});
afterAll(() => fake.close());

const example = (question: string, answer: string) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: question },
      { role: 'assistant', content: answer },
    ],
  });
const supervised = `${example('Capital of France?', 'Paris.')}\n${example('Capital of Spain?', 'Madrid.')}\n`;
const preference = `${JSON.stringify({
  input: { messages: [{ role: 'user', content: 'Hi' }] },
  preferred_output: [{ role: 'assistant', content: 'Hello!' }],
  non_preferred_output: [{ role: 'assistant', content: 'What.' }],
})}\n`;

const upload = async (text: string, name = 'train.jsonl') =>
  client.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'fine-tune' });
const failure = <T>(promise: Promise<T>) =>
  promise.then(() => undefined).catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);

describe('files', () => {
  it('uploads, retrieves, lists, reads and deletes a fine-tuning file', async () => {
    const file = await upload(supervised);
    expect(file).toMatchObject({
      object: 'file',
      bytes: Buffer.byteLength(supervised),
      filename: 'train.jsonl',
      purpose: 'fine-tune',
      status: 'processed',
    });
    expect(file.id).toMatch(/^file-/);
    expect(await client.files.retrieve(file.id)).toEqual(file);
    expect(await (await client.files.content(file.id)).text()).toBe(supervised);
    expect(fake.fileText(file.id)).toBe(supervised);
    const other = await client.files.create({
      file: await toFile(Buffer.from('x'), 'notes.txt'),
      purpose: 'user_data',
    });
    expect((await client.files.list({ purpose: 'fine-tune' })).data.map((f) => f.id)).toEqual([file.id]);
    expect((await client.files.list()).data.map((f) => f.id)).toEqual([other.id, file.id]);
    expect(fake.requests.find((r) => r.path === '/v1/files')?.body).toEqual({
      purpose: 'fine-tune',
      filename: 'train.jsonl',
      bytes: file.bytes,
    });

    expect(await client.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    const gone = await failure(client.files.retrieve(file.id));
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    expect(gone?.error).toEqual({
      message: `No such File object: ${file.id}`,
      type: 'invalid_request_error',
      param: 'id',
      code: null,
    });
    expect(await failure(client.files.delete(file.id))).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('refuses a fine-tuning file that is not JSONL of chat examples, naming the line', async () => {
    const bad = await failure(upload(`${example('q', 'a')}\n{"messages": [{"role": "user", "content": "q"}]}\n`));
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad?.param).toBe('file');
    expect(bad?.message).toMatch(/line 2: messages has no assistant message/);
    expect((await failure(upload('{"messages": [')))?.message).toMatch(/line 1: not valid JSON/);
    expect((await failure(upload(supervised, 'train.json')))?.message).toMatch(/Must be \.jsonl/);
    const purpose = await failure(
      client.files.create({ file: await toFile(Buffer.from('x'), 'a.txt'), purpose: 'nope' as 'batch' }),
    );
    expect(purpose?.param).toBe('purpose');
    expect(fake.files()).toEqual([]);
  });
});

describe('fine-tuning jobs', () => {
  it('moves a job through validating_files, queued, running and succeeded as time passes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
    fake.setFineTuning({ stepMs: 60_000 });
    const file = await upload(supervised);
    const job = await client.fineTuning.jobs.create({
      training_file: file.id,
      model: 'gpt-4o-mini',
      suffix: 'support',
      method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 2 } } },
    });
    expect(job).toMatchObject({
      object: 'fine_tuning.job',
      status: 'validating_files',
      model: 'gpt-4o-mini',
      training_file: file.id,
      fine_tuned_model: null,
      hyperparameters: { n_epochs: 2, batch_size: 'auto', learning_rate_multiplier: 'auto' },
      method: { type: 'supervised' },
    });
    expect(job.id).toMatch(/^ftjob-/);
    const statusAfter = async (ms: number) => {
      vi.advanceTimersByTime(ms);
      return client.fineTuning.jobs.retrieve(job.id);
    };
    expect((await statusAfter(59_999)).status).toBe('validating_files');
    const queued = await statusAfter(1);
    expect(queued.status).toBe('queued');
    expect(queued.hyperparameters).toEqual({ n_epochs: 2, batch_size: 1, learning_rate_multiplier: 1 });
    expect((await statusAfter(60_000)).status).toBe('running');
    const done = await statusAfter(60_000);
    expect(done).toMatchObject({
      status: 'succeeded',
      fine_tuned_model: `ft:gpt-4o-mini:flowloom-fake:support:${job.id.slice(-8)}`,
      finished_at: Date.parse('2025-01-01T00:03:00Z') / 1000,
      trained_tokens: 16, // 8 words in the file × 2 epochs
      error: null,
    });
    expect((await client.files.retrieve(done.result_files[0] ?? '')).purpose).toBe('fine-tune-results');

    const events = [];
    for await (const event of client.fineTuning.jobs.listEvents(job.id)) events.push(event);
    expect(events.map((event) => event.message).reverse()).toEqual([
      `Created fine-tuning job: ${job.id}`,
      `Validating training file: ${file.id}`,
      'Files validated, moving job to queued state',
      'Fine-tuning job started',
      'Step 1/1: training loss=0.50',
      `New fine-tuned model created: ${done.fine_tuned_model}`,
      'The job has successfully completed',
    ]);
    expect(events.find((event) => event.type === 'metrics')?.data).toMatchObject({ step: 1, train_loss: 0.5 });
  });

  it('finishes fast by default; the fine-tuned model is listed, answers chat, and can be deleted', async () => {
    const file = await upload(supervised);
    const job = await client.fineTuning.jobs.create({ training_file: file.id, model: 'gpt-4o-mini' });
    let current = job;
    const seen = new Set<string>();
    while (current.status !== 'succeeded') {
      seen.add(current.status);
      await new Promise((resolve) => setTimeout(resolve, 10));
      current = await client.fineTuning.jobs.retrieve(job.id);
    }
    expect(seen.has('validating_files')).toBe(true);
    const model = current.fine_tuned_model ?? '';
    expect(model).toBe(`ft:gpt-4o-mini:flowloom-fake::${job.id.slice(-8)}`);
    expect((await client.models.list()).data.map((m) => m.id)).toContain(model);
    expect(await client.models.retrieve(model)).toMatchObject({ id: model, owned_by: 'org-flowloom-fake' });
    const answer = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: hello');

    expect(await client.models.delete(model)).toEqual({ id: model, object: 'model', deleted: true });
    expect((await client.models.list()).data.map((m) => m.id)).not.toContain(model);
    const gone = await failure(client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }));
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    expect(gone?.code).toBe('model_not_found');
    expect(await failure(client.models.delete('gpt-4o'))).toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it('lists jobs newest first with cursor pagination, and cancels a running job once', async () => {
    fake.setFineTuning({ stepMs: 60_000 });
    const file = await upload(supervised);
    const ids = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await client.fineTuning.jobs.create({ training_file: file.id, model: 'gpt-4o-mini' })).id);
    }
    const first = await client.fineTuning.jobs.list({ limit: 2 });
    expect(first.data.map((job) => job.id)).toEqual([ids[2], ids[1]]);
    expect(first.has_more).toBe(true);
    const all = [];
    for await (const job of client.fineTuning.jobs.list({ limit: 2 })) all.push(job.id);
    expect(all).toEqual([...ids].reverse());

    const cancelled = await client.fineTuning.jobs.cancel(ids[0] ?? '');
    expect(cancelled.status).toBe('cancelled');
    expect((await client.fineTuning.jobs.retrieve(ids[0] ?? '')).status).toBe('cancelled');
    expect(await failure(client.fineTuning.jobs.cancel(ids[0] ?? ''))).toBeInstanceOf(OpenAI.BadRequestError);
    const events = await client.fineTuning.jobs.listEvents(ids[0] ?? '', { limit: 1 });
    expect(events.data.map((event) => event.message)).toEqual(['Fine-tuning job cancelled']);
    expect(fake.fineTuningJobs().map((job) => job.status)).toEqual([
      'cancelled',
      'validating_files',
      'validating_files',
    ]);
  });

  it('runs a dpo job on preference pairs, and fails a job whose file does not fit its method', async () => {
    fake.setFineTuning({ stepMs: 0 });
    const pairs = await upload(preference);
    const dpo = await client.fineTuning.jobs.create({
      training_file: pairs.id,
      model: 'gpt-4o-mini',
      method: { type: 'dpo', dpo: { hyperparameters: { beta: 0.2 } } },
    });
    expect((await client.fineTuning.jobs.retrieve(dpo.id)).method).toEqual({
      type: 'dpo',
      dpo: { hyperparameters: { beta: 0.2, batch_size: 1, learning_rate_multiplier: 1, n_epochs: 3 } },
    });
    expect((await client.fineTuning.jobs.retrieve(dpo.id)).status).toBe('succeeded');

    const wrong = await client.fineTuning.jobs.create({ training_file: pairs.id, model: 'gpt-4o-mini' });
    const failed = await client.fineTuning.jobs.retrieve(wrong.id);
    expect(failed.status).toBe('failed');
    expect(failed.fine_tuned_model).toBeNull();
    expect(failed.error).toMatchObject({ code: 'invalid_training_file', param: 'training_file' });
    expect(failed.error?.message).toMatch(/holds dpo examples, but the job's method is supervised/);

    fake.setFineTuning({ minExamples: 10 });
    const few = await client.fineTuning.jobs.create({
      training_file: (await upload(supervised)).id,
      model: 'gpt-4o-mini',
    });
    expect((await client.fineTuning.jobs.retrieve(few.id)).error?.message).toMatch(
      /has 2 example\(s\), but must have at least 10/,
    );
  });

  it('refuses unknown files, jobs and models, and files of another purpose, in OpenAI error shape', async () => {
    const unknown = await failure(client.fineTuning.jobs.create({ training_file: 'file-nope', model: 'gpt-4o-mini' }));
    expect(unknown).toBeInstanceOf(OpenAI.BadRequestError);
    expect(unknown?.error).toEqual({
      message: 'invalid training_file: file-nope',
      type: 'invalid_request_error',
      param: 'training_file',
      code: null,
    });
    const notes = await client.files.create({ file: await toFile(Buffer.from('x'), 'a.txt'), purpose: 'user_data' });
    expect(
      (await failure(client.fineTuning.jobs.create({ training_file: notes.id, model: 'gpt-4o-mini' })))?.param,
    ).toBe('training_file');
    const file = await upload(supervised);
    const embedding = await failure(
      client.fineTuning.jobs.create({ training_file: file.id, model: 'text-embedding-3-small' }),
    );
    expect(embedding?.param).toBe('model');
    const validation = await failure(
      client.fineTuning.jobs.create({ training_file: file.id, validation_file: 'file-nope', model: 'gpt-4o-mini' }),
    );
    expect(validation?.param).toBe('validation_file');
    expect((await failure(client.fineTuning.jobs.retrieve('ftjob-nope')))?.status).toBe(404);
    expect((await failure(client.fineTuning.jobs.cancel('ftjob-nope')))?.status).toBe(404);
    expect((await failure(client.models.retrieve('ft:gpt-4o-mini:x::y')))?.status).toBe(404);
  });

  it('takes the step duration from the control endpoint', async () => {
    const base = fake.url.replace(/\/v1$/, '');
    await fetch(`${base}/_fake/fine-tuning`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stepMs: 60_000 }),
    });
    const job = await client.fineTuning.jobs.create({ training_file: (await upload(supervised)).id, model: 'gpt-4o' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await client.fineTuning.jobs.retrieve(job.id)).status).toBe('validating_files');
  });
});
