import type { FastifyInstance, FastifyReply } from 'fastify';
import type OpenAI from 'openai';
import { badRequest, type FakeContext, sendOpenAIError } from './context.js';
import { checkTrainingFile, type TrainingSummary } from './fine-tune-format.js';
import { listPage } from './pagination.js';

/** An uploaded file: its File object, its bytes and, for `fine-tune` files, what its examples hold. */
export interface StoredFile {
  object: OpenAI.FileObject;
  content: Buffer;
  training?: TrainingSummary;
}

const PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'];

/** The fake's file store and the `/v1/files` endpoints. */
export interface FileStore {
  register(app: FastifyInstance): void;
  get(id: string): StoredFile | undefined;
  /** Stores a file the fake made itself (e.g. a fine-tuning job's results). */
  add(filename: string, purpose: OpenAI.FileObject['purpose'], content: string): StoredFile;
  list(): StoredFile[];
  clear(): void;
}

export function createFileStore(ctx: FakeContext): FileStore {
  const files = new Map<string, StoredFile>();

  function add(
    filename: string,
    purpose: OpenAI.FileObject['purpose'],
    content: Buffer | string,
    training?: TrainingSummary,
  ): StoredFile {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    const object: OpenAI.FileObject = {
      id: ctx.nextId('file-', 22),
      object: 'file',
      bytes: bytes.length,
      created_at: Math.floor(Date.now() / 1000),
      filename,
      purpose,
      status: 'processed',
    };
    const stored: StoredFile = { object, content: bytes, ...(training ? { training } : {}) };
    files.set(object.id, stored);
    return stored;
  }

  function noSuchFile(reply: FastifyReply, id: string) {
    return sendOpenAIError(reply, 404, `No such File object: ${id}`, { param: 'id' });
  }

  function register(app: FastifyInstance) {
    // The SDK uploads as multipart/form-data; the platform's own parser (undici's FormData) reads it.
    app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    app.post('/v1/files', async (request, reply) => {
      const tracked = ctx.track(request, reply, null);
      let form: FormData;
      try {
        form = await new Request('http://fake.invalid/', {
          method: 'POST',
          headers: { 'content-type': String(request.headers['content-type']) },
          body: new Uint8Array(request.body as Buffer),
        }).formData();
      } catch {
        return badRequest(reply, 'The request must be multipart/form-data with fields file and purpose.');
      }
      const file = form.get('file');
      const purpose = form.get('purpose');
      if (typeof file === 'string' || file === null)
        return badRequest(reply, "Missing required parameter: 'file'.", 'file');
      if (typeof purpose !== 'string' || !PURPOSES.includes(purpose)) {
        return badRequest(reply, `'${String(purpose)}' is not one of ${PURPOSES.join(', ')} - 'purpose'`, 'purpose');
      }
      const content = Buffer.from(await file.arrayBuffer());
      tracked.record.body = { purpose, filename: file.name, bytes: content.length };
      let training: TrainingSummary | undefined;
      if (purpose === 'fine-tune') {
        if (!file.name.endsWith('.jsonl')) {
          return badRequest(reply, 'Invalid file format for Fine-Tuning API. Must be .jsonl', 'file');
        }
        const checked = checkTrainingFile(content.toString('utf8'));
        if ('problem' in checked) {
          const { line, message } = checked.problem;
          return badRequest(reply, `Invalid file format for Fine-Tuning API: line ${line}: ${message}`, 'file');
        }
        training = checked.summary;
      }
      return add(file.name, purpose as OpenAI.FileObject['purpose'], content, training).object;
    });

    app.get<{ Querystring: { purpose?: string; limit?: string; after?: string; order?: string } }>(
      '/v1/files',
      async (request, reply) => {
        ctx.track(request, reply);
        const { purpose, order } = request.query;
        const matching = [...files.values()]
          .map((file) => file.object)
          .filter((file) => purpose === undefined || file.purpose === purpose);
        return listPage(order === 'asc' ? matching : matching.reverse(), request.query, {
          defaultLimit: 10_000,
          maxLimit: 10_000,
        });
      },
    );

    app.get<{ Params: { id: string } }>('/v1/files/:id', async (request, reply) => {
      ctx.track(request, reply);
      return files.get(request.params.id)?.object ?? noSuchFile(reply, request.params.id);
    });

    app.get<{ Params: { id: string } }>('/v1/files/:id/content', async (request, reply) => {
      ctx.track(request, reply);
      const file = files.get(request.params.id);
      if (!file) return noSuchFile(reply, request.params.id);
      return reply.type('application/octet-stream').send(file.content);
    });

    app.delete<{ Params: { id: string } }>('/v1/files/:id', async (request, reply) => {
      ctx.track(request, reply);
      if (!files.delete(request.params.id)) return noSuchFile(reply, request.params.id);
      return { id: request.params.id, object: 'file', deleted: true };
    });
  }

  return {
    register,
    get: (id) => files.get(id),
    add: (filename, purpose, content) => add(filename, purpose, content),
    list: () => [...files.values()],
    clear: () => files.clear(),
  };
}
