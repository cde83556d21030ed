import { AppError, type FineTuneJob } from '@flowloom/nodes';
import OpenAI, { APIError, toFile } from 'openai';
import type { OpenAIConfig } from '../providers/openai.js';
import type { FineTuneJobRow, FineTuneTable, Store } from '../store/types.js';
import { type ExportRequest, exportFineTuning } from './export.js';

/** A fine-tuning job as the API answers it (`@flowloom/nodes/spec`). */
export type { FineTuneJob };

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export interface StartFineTune extends ExportRequest {
  /** The base model to fine-tune (`gpt-4o-mini-2024-07-18`...). */
  model: string;
  suffix?: string;
}

/** The provider's credentials: the environment's, else the ones set in the editor (none: PROVIDER_NOT_CONFIGURED). */
export type CredentialsSource = () => Promise<OpenAIConfig | undefined>;

function providerError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof APIError) {
    const status = err.status ?? 502;
    return new AppError(
      status === 400 ? 'VALIDATION_FAILED' : 'PROVIDER_ERROR',
      `the provider refused: ${err.message}`,
      {
        status: status === 400 ? 400 : 502,
        details: [{ providerStatus: status, ...(err.param ? { field: `provider.${err.param}` } : {}) }],
      },
    );
  }
  return new AppError('PROVIDER_UNAVAILABLE', `the provider cannot be reached: ${String(err)}`, { status: 502 });
}

/**
 * Fine-tuning through the `openai` SDK: exports runs as training JSONL, uploads it (`files.create`, purpose
 * `fine-tune`), starts the job (`fineTuning.jobs.create`, method supervised or dpo) and follows its status
 * (`fineTuning.jobs.retrieve`), keeping each job in `fine_tune_jobs` so its model can be offered to `llm` nodes.
 */
export class FineTuneService {
  readonly #store: Store;
  readonly #table: FineTuneTable;
  readonly #credentials: CredentialsSource;

  constructor(store: Store, credentials: CredentialsSource) {
    this.#store = store;
    this.#table = store.fineTunes;
    this.#credentials = credentials;
  }

  async #client(): Promise<OpenAI> {
    const config = await this.#credentials();
    if (!config || (!config.apiKey && !config.baseURL)) {
      throw new AppError(
        'PROVIDER_NOT_CONFIGURED',
        'No model provider is configured: set OPENAI_API_KEY or OPENAI_BASE_URL, or the provider in the settings.',
      );
    }
    return new OpenAI({
      apiKey: config.apiKey ?? 'not-needed',
      baseURL: config.baseURL ?? 'https://api.openai.com/v1',
      organization: null,
      project: null,
      maxRetries: 1,
    });
  }

  /** Exports, uploads and starts a job. An export with no example is a 400 (nothing is uploaded). */
  async start(request: StartFineTune): Promise<FineTuneJob> {
    const exported = await exportFineTuning(this.#store, request, 'body');
    if (exported.examples === 0) {
      throw new AppError('VALIDATION_FAILED', 'no run matches the filters: there is nothing to fine-tune on', {
        details: [{ field: 'body', message: 'the filters match no example' }],
      });
    }
    const client = await this.#client();
    const method = request.format === 'openai-dpo' ? 'dpo' : 'supervised';
    try {
      const file = await client.files.create({
        file: await toFile(Buffer.from(exported.jsonl, 'utf8'), `flowloom-${method}.jsonl`),
        purpose: 'fine-tune',
      });
      const job = await client.fineTuning.jobs.create({
        model: request.model,
        training_file: file.id,
        method: { type: method },
        ...(request.suffix !== undefined && { suffix: request.suffix }),
      });
      const now = new Date().toISOString();
      const row: FineTuneJobRow = {
        id: job.id,
        fileId: file.id,
        baseModel: request.model,
        status: job.status,
        fineTunedModel: job.fine_tuned_model ?? null,
        error: job.error?.message ?? null,
        method,
        examples: exported.examples,
        tokens: exported.tokens,
        suffix: request.suffix ?? null,
        createdAt: now,
        updatedAt: now,
      };
      await this.#table.insert(row);
      return row;
    } catch (err) {
      throw providerError(err);
    }
  }

  /** One job, its status asked of the provider while it is not finished. JOB not found: NOT_FOUND. */
  async get(id: string): Promise<FineTuneJob> {
    const row = await this.#table.get(id);
    if (!row) throw new AppError('NOT_FOUND', `fine-tuning job "${id}" does not exist`);
    return this.#refresh(row);
  }

  /** Every job, newest first, unfinished ones refreshed from the provider (a provider that fails leaves them as seen). */
  async list(): Promise<FineTuneJob[]> {
    const rows = await this.#table.list();
    return Promise.all(rows.map((row) => this.#refresh(row).catch(() => row)));
  }

  async #refresh(row: FineTuneJobRow): Promise<FineTuneJob> {
    if (TERMINAL.has(row.status)) return row;
    let job: Awaited<ReturnType<OpenAI['fineTuning']['jobs']['retrieve']>>;
    try {
      job = await (await this.#client()).fineTuning.jobs.retrieve(row.id);
    } catch (err) {
      throw providerError(err);
    }
    const change = {
      status: job.status,
      fineTunedModel: job.fine_tuned_model ?? null,
      error: job.error?.message ?? null,
      updatedAt: new Date().toISOString(),
    };
    if (change.status !== row.status || change.fineTunedModel !== row.fineTunedModel) {
      await this.#table.update(row.id, change);
    }
    return { ...row, ...change };
  }
}
