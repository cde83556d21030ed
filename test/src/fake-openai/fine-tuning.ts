import type { FastifyInstance, FastifyReply } from 'fastify';
import type OpenAI from 'openai';
import { badRequest, type FakeContext, sendOpenAIError } from './context.js';
import type { FileStore } from './files.js';
import { listPage } from './pagination.js';
import type { FineTuningSettings } from './types.js';

type Job = OpenAI.FineTuning.FineTuningJob;
type JobEvent = OpenAI.FineTuning.Jobs.FineTuningJobEvent;
type Hyperparameters = Record<string, number | 'auto'>;

/** A job, its events (oldest first) and the steps still ahead of it, each due at a time. */
interface JobState {
  job: Job;
  events: JobEvent[];
  pending: { atMs: number; apply: (atMs: number) => void }[];
  /** The caller's `suffix`, part of the fine-tuned model's name. */
  suffix: string;
}

const ORGANIZATION = 'org-flowloom-fake';
const ORGANIZATION_NAME = 'flowloom-fake';
const METHODS = ['supervised', 'dpo'] as const;
const DEFAULTS: Record<(typeof METHODS)[number], Record<string, number>> = {
  supervised: { batch_size: 1, learning_rate_multiplier: 1, n_epochs: 3 },
  dpo: { batch_size: 1, learning_rate_multiplier: 1, n_epochs: 3, beta: 0.1 },
};
const TERMINAL = new Set<Job['status']>(['succeeded', 'failed', 'cancelled']);

/** Simulated fine-tuning (`/v1/fine_tuning/jobs`) and the models its jobs produce. */
export interface FineTuning {
  register(app: FastifyInstance): void;
  /** Fine-tuned models that exist now (jobs succeeded, model not deleted). */
  models(): OpenAI.Model[];
  /** False for a fine-tuned (`ft:`) model that does not exist now; true for every other name. */
  isServed(model: string): boolean;
  /** Deletes a fine-tuned model; false when there is no such model. */
  deleteModel(model: string): boolean;
  jobs(): Job[];
  setSettings(settings: Partial<FineTuningSettings>): void;
  clear(): void;
}

/**
 * Jobs move validating_files → queued → running → succeeded, one `stepMs` apart, as time passes: their state is
 * brought up to date whenever it is read. A training file whose examples do not fit the job's method, or holds fewer
 * than `minExamples`, fails the job at the end of validation, as OpenAI does.
 */
export function createFineTuning(ctx: FakeContext, files: FileStore): FineTuning {
  const initial: FineTuningSettings = { stepMs: 50, minExamples: 1, ...ctx.options.fineTuning };
  let settings = { ...initial };
  const states = new Map<string, JobState>();
  const deletedModels = new Set<string>();

  function refresh(state: JobState, now = Date.now()): Job {
    for (let next = state.pending[0]; next && next.atMs <= now; next = state.pending[0]) {
      state.pending.shift();
      next.apply(next.atMs);
    }
    return state.job;
  }

  function addEvent(state: JobState, atMs: number, message: string, extra: Partial<JobEvent> = {}) {
    state.events.push({
      id: ctx.nextId('ftevent-', 24),
      object: 'fine_tuning.job.event',
      created_at: Math.floor(atMs / 1000),
      level: 'info',
      message,
      data: {},
      type: 'message',
      ...extra,
    });
  }

  function models(): OpenAI.Model[] {
    const found: OpenAI.Model[] = [];
    for (const state of states.values()) {
      const job = refresh(state);
      if (job.status === 'succeeded' && job.fine_tuned_model && !deletedModels.has(job.fine_tuned_model)) {
        found.push({
          id: job.fine_tuned_model,
          object: 'model',
          created: job.finished_at ?? 0,
          owned_by: ORGANIZATION,
        });
      }
    }
    return found;
  }

  function isServed(model: string): boolean {
    return !model.startsWith('ft:') || models().some((found) => found.id === model);
  }

  /** Refuses a file that cannot be used as `param`; undefined when it can. */
  function refuseFile(reply: FastifyReply, id: string, param: string): FastifyReply | undefined {
    const purpose = files.get(id)?.object.purpose;
    if (purpose === undefined) return badRequest(reply, `invalid ${param}: ${id}`, param);
    if (purpose !== 'fine-tune')
      return badRequest(reply, `invalid ${param}: ${id} has purpose ${purpose}, not fine-tune`, param);
    return undefined;
  }

  /** Why validation fails the job, or undefined when the training file suits the method. */
  function validationFailure(trainingFile: string, method: (typeof METHODS)[number]): string | undefined {
    const training = files.get(trainingFile)?.training;
    if (!training) return undefined;
    if (training.format !== method) {
      const holds = training.format === 'mixed' ? 'both supervised and dpo examples' : `${training.format} examples`;
      return `The job failed due to an invalid training file. The file holds ${holds}, but the job's method is ${method}.`;
    }
    if (training.examples < settings.minExamples) {
      return `The job failed due to an invalid training file. Training file has ${training.examples} example(s), but must have at least ${settings.minExamples} examples.`;
    }
    return undefined;
  }

  function create(body: Record<string, unknown>, reply: FastifyReply): Job | FastifyReply {
    const { model, training_file: trainingFile, validation_file: validationFile, suffix } = body;
    if (typeof model !== 'string' || model === '')
      return badRequest(reply, "Missing required parameter: 'model'.", 'model');
    if (typeof trainingFile !== 'string' || trainingFile === '') {
      return badRequest(reply, "Missing required parameter: 'training_file'.", 'training_file');
    }
    if (model.startsWith('text-embedding') || !isServed(model)) {
      return sendOpenAIError(reply, 400, `Model ${model} is not available for fine-tuning or does not exist.`, {
        param: 'model',
        code: 'model_not_available',
      });
    }
    const refused =
      refuseFile(reply, trainingFile, 'training_file') ??
      (typeof validationFile === 'string' ? refuseFile(reply, validationFile, 'validation_file') : undefined);
    if (refused) return refused;
    if (suffix !== undefined && suffix !== null && (typeof suffix !== 'string' || suffix.length > 64)) {
      return badRequest(reply, 'suffix must be a string of at most 64 characters.', 'suffix');
    }
    const methodBody = (body.method ?? {}) as { type?: unknown } & Record<
      string,
      { hyperparameters?: Hyperparameters }
    >;
    const method = METHODS.find((known) => known === (methodBody.type ?? 'supervised'));
    if (!method)
      return badRequest(reply, `method.type ${String(methodBody.type)} is not supported by this fake.`, 'method.type');
    const asked = methodBody[method]?.hyperparameters ?? (body.hyperparameters as Hyperparameters | undefined) ?? {};
    const hyperparameters: Hyperparameters = {};
    for (const key of Object.keys(DEFAULTS[method])) hyperparameters[key] = asked[key] ?? 'auto';

    const now = Date.now();
    const job: Job = {
      id: ctx.nextId('ftjob-', 24),
      object: 'fine_tuning.job',
      created_at: Math.floor(now / 1000),
      error: null,
      fine_tuned_model: null,
      finished_at: null,
      hyperparameters,
      model,
      organization_id: ORGANIZATION,
      result_files: [],
      seed: typeof body.seed === 'number' ? body.seed : 42,
      status: 'validating_files',
      trained_tokens: null,
      training_file: trainingFile,
      validation_file: typeof validationFile === 'string' ? validationFile : null,
      estimated_finish: null,
      integrations: [],
      metadata: (body.metadata as Record<string, string> | undefined) ?? null,
      method: { type: method, [method]: { hyperparameters } },
    };
    const state: JobState = { job, events: [], pending: [], suffix: typeof suffix === 'string' ? suffix : '' };
    addEvent(state, now, `Created fine-tuning job: ${job.id}`);
    addEvent(state, now, `Validating training file: ${trainingFile}`);
    schedule(state, now, method, validationFailure(trainingFile, method));
    states.set(job.id, state);
    return job;
  }

  /** Queues the job's steps, one `stepMs` apart from `now`: validation fails it, or it runs to success. */
  function schedule(state: JobState, now: number, method: (typeof METHODS)[number], failure: string | undefined) {
    const job = state.job;
    const hyperparameters = job.hyperparameters as Hyperparameters;
    const step = settings.stepMs;
    const at = (n: number) => now + n * step;
    if (failure) {
      state.pending.push({
        atMs: at(1),
        apply: (atMs) => {
          job.status = 'failed';
          job.finished_at = Math.floor(atMs / 1000);
          job.error = { code: 'invalid_training_file', message: failure, param: 'training_file' };
          addEvent(state, atMs, failure, { level: 'error' });
        },
      });
    } else {
      state.pending.push(
        {
          atMs: at(1),
          apply: (atMs) => {
            job.status = 'queued';
            for (const [key, value] of Object.entries(hyperparameters)) {
              if (value === 'auto') hyperparameters[key] = DEFAULTS[method][key] ?? 1;
            }
            addEvent(state, atMs, 'Files validated, moving job to queued state');
          },
        },
        {
          atMs: at(2),
          apply: (atMs) => {
            job.status = 'running';
            job.estimated_finish = Math.floor(at(3) / 1000);
            addEvent(state, atMs, 'Fine-tuning job started');
          },
        },
        { atMs: at(3), apply: (atMs) => succeed(state, atMs) },
      );
    }
  }

  function succeed(state: JobState, atMs: number) {
    const job = state.job;
    const base = job.model.startsWith('ft:') ? (job.model.split(':')[1] ?? job.model) : job.model;
    const epochs = Number(job.hyperparameters.n_epochs) || 1;
    const tokens = (files.get(job.training_file)?.training?.tokens ?? 0) * epochs;
    const results = files.add(
      'step_metrics.csv',
      'fine-tune-results',
      'step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n1,0.5,0.9,,\n',
    );
    addEvent(state, atMs, 'Step 1/1: training loss=0.50', {
      type: 'metrics',
      data: { step: 1, total_steps: 1, train_loss: 0.5, train_mean_token_accuracy: 0.9 },
    });
    job.status = 'succeeded';
    job.finished_at = Math.floor(atMs / 1000);
    job.estimated_finish = null;
    job.trained_tokens = tokens;
    job.result_files = [results.object.id];
    job.fine_tuned_model = `ft:${base}:${ORGANIZATION_NAME}:${state.suffix}:${job.id.slice(-8)}`;
    addEvent(state, atMs, `New fine-tuned model created: ${job.fine_tuned_model}`);
    addEvent(state, atMs, 'The job has successfully completed');
  }

  function register(app: FastifyInstance) {
    const withJob = (id: string, reply: FastifyReply, then: (state: JobState) => unknown) => {
      const state = states.get(id);
      if (!state)
        return sendOpenAIError(reply, 404, `Could not find fine-tuning job: ${id}`, { param: 'fine_tuning_job_id' });
      refresh(state);
      return then(state);
    };

    app.post('/v1/fine_tuning/jobs', async (request, reply) => {
      ctx.track(request, reply);
      const body = request.body;
      if (typeof body !== 'object' || body === null) return badRequest(reply, 'Request body must be a JSON object.');
      return create(body as Record<string, unknown>, reply);
    });

    app.get<{ Querystring: { limit?: string; after?: string } }>('/v1/fine_tuning/jobs', async (request, reply) => {
      ctx.track(request, reply);
      const jobs = [...states.values()].map((state) => refresh(state)).reverse();
      return listPage(jobs, request.query, { defaultLimit: 20, maxLimit: 100 });
    });

    app.get<{ Params: { id: string } }>('/v1/fine_tuning/jobs/:id', async (request, reply) => {
      ctx.track(request, reply);
      return withJob(request.params.id, reply, (state) => state.job);
    });

    app.get<{ Params: { id: string }; Querystring: { limit?: string; after?: string } }>(
      '/v1/fine_tuning/jobs/:id/events',
      async (request, reply) => {
        ctx.track(request, reply);
        return withJob(request.params.id, reply, (state) =>
          listPage([...state.events].reverse(), request.query, { defaultLimit: 20, maxLimit: 100 }),
        );
      },
    );

    app.post<{ Params: { id: string } }>('/v1/fine_tuning/jobs/:id/cancel', async (request, reply) => {
      ctx.track(request, reply);
      return withJob(request.params.id, reply, (state) => {
        const job = state.job;
        if (TERMINAL.has(job.status)) {
          return badRequest(
            reply,
            `Job ${job.id} has already ${job.status === 'cancelled' ? 'been cancelled' : job.status}.`,
          );
        }
        state.pending = [];
        job.status = 'cancelled';
        job.estimated_finish = null;
        addEvent(state, Date.now(), 'Fine-tuning job cancelled');
        return job;
      });
    });
  }

  return {
    register,
    models,
    isServed,
    deleteModel(model) {
      if (!model.startsWith('ft:') || !isServed(model)) return false;
      deletedModels.add(model);
      return true;
    },
    jobs: () => [...states.values()].map((state) => refresh(state)),
    setSettings(changes) {
      settings = { ...settings, ...changes };
    },
    clear() {
      states.clear();
      deletedModels.clear();
      settings = { ...initial };
    },
  };
}
