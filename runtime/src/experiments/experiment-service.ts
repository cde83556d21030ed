import { hostname } from 'node:os';
import {
  AppError,
  checkRunInputs,
  type EmbeddingService,
  type FlowFile,
  flowInputs,
  flowOutputs,
  isAppError,
  type NodeRegistry,
  toErrorBody,
  validateFlow,
} from '@flowloom/nodes';
import type { DatasetService } from '../datasets/dataset-service.js';
import { newId } from '../datasets/dataset-service.js';
import { type EvalScore, type Evaluator, evalServices, parseEvaluators } from '../evals/index.js';
import { isProcessAlive } from '../platform/process-alive.js';
import type { PublishedService } from '../publishing/versions.js';
import type { RunService } from '../runs/run-service.js';
import type {
  DatasetItem,
  ExperimentCell,
  ExperimentItem,
  ExperimentRow,
  ExperimentStatus,
  Store,
} from '../store/types.js';
import { ExperimentRunner } from './runner.js';
import { compareScores, summarize } from './summary.js';
import type {
  Comparison,
  ExperimentRequest,
  ExperimentSpec,
  ExperimentView,
  Progress,
  ResultCell,
  ResultRow,
  Target,
} from './types.js';

/** What watchers of experiments receive (socket.io `/traces`, docs/contracts.md §7). */
export type ExperimentEvent =
  | ({ type: 'experiment.progress'; experimentId: string } & Progress)
  | { type: 'experiment.completed'; experimentId: string; status: ExperimentStatus; progress: Progress };

export interface ExperimentServiceOptions {
  store: Store;
  runs: RunService;
  published: PublishedService;
  datasets: DatasetService;
  registry: NodeRegistry;
  embeddings?: EmbeddingService;
  /** Told of failures in the background (a write of finished cells, an experiment that failed). */
  onError?: (err: unknown, message: string) => void;
}

/** Evaluators that compare with an expected value (the item's, unless they carry their own). */
const NEEDS_EXPECTED = new Set(['exact', 'contains', 'bleu', 'rouge', 'similarity']);
/** The most problems one refusal lists. */
const MAX_DETAILS = 100;
/** Times the items are checked again when the dataset changed meanwhile, before a 409. */
const CREATE_TRIES = 3;
const FINAL = new Set<ExperimentStatus>(['completed', 'failed', 'cancelled']);

/** The names of an experiment's evaluators (its spec was checked when it was made). */
function evaluatorNames(evaluators: readonly unknown[]): string[] {
  return parseEvaluators(evaluators).map((evaluator) => evaluator.name);
}

/** EXPERIMENT_NOT_FOUND for an unknown experiment. */
function notFound(id: string): AppError {
  return new AppError('EXPERIMENT_NOT_FOUND', `experiment "${id}" does not exist`);
}

function validation(details: { field: string; message: string; [key: string]: unknown }[], total = details.length) {
  const first = details[0] as { field: string; message: string };
  const more = total > 1 ? ` (and ${total - 1} more)` : '';
  return new AppError('VALIDATION_FAILED', `${first.field}: ${first.message}${more}; nothing was started`, {
    details: details.slice(0, MAX_DETAILS),
  });
}

/** An error of the request that names the field it is about (a 404 keeps its own code). */
function naming(err: unknown, field: string): unknown {
  if (!isAppError(err)) return err;
  return new AppError(err.code, `${field}: ${err.message}`, {
    status: err.status,
    details: [{ field, message: err.message }],
  });
}

/**
 * Experiments (docs/contracts.md §7): a dataset (or one split) × targets (a flow's draft or a published version) ×
 * evaluators, every cell an ordinary run. A request is checked whole before anything starts; the items are frozen with
 * the experiment (the dataset's revision recorded), so later edits of the dataset do not change it. Experiments are
 * durable: each cell is written when it finishes, and an experiment its process left behind (a crash, a restart) is
 * taken over by `resume` and goes on with its pending cells only.
 */
export class ExperimentService {
  readonly #store: Store;
  readonly #runs: RunService;
  readonly #published: PublishedService;
  readonly #datasets: DatasetService;
  readonly #registry: NodeRegistry;
  readonly #embeddings: EmbeddingService | undefined;
  readonly #onError: (err: unknown, message: string) => void;
  readonly #runners = new Map<string, ExperimentRunner>();
  /** Each experiment this process runs: settles once its end is written (or it was let go). */
  readonly #launches = new Map<string, Promise<void>>();
  readonly #listeners = new Set<(event: ExperimentEvent) => void>();
  readonly #owner = { host: hostname(), pid: process.pid };
  /** Experiments asked to cancel (before their runner may exist). */
  readonly #cancelled = new Set<string>();
  #isClosed = false;

  constructor(options: ExperimentServiceOptions) {
    this.#store = options.store;
    this.#runs = options.runs;
    this.#published = options.published;
    this.#datasets = options.datasets;
    this.#registry = options.registry;
    this.#embeddings = options.embeddings;
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Checks a request whole and starts the experiment: 202-style `{experimentId, status: "queued"}`. Refused with
   * nothing started: unknown evaluator types or fields, invalid regexes or schemas (VALIDATION_FAILED naming
   * `body.evaluators.N.field`), an unknown dataset, flow, version or evaluator flow (404 naming the field), a split
   * with no items, items that do not fit a target's inputs (listed by item id), items without the expected value an
   * evaluator compares with, an evaluator's `output` that a target does not have, a target with problems.
   */
  async create(request: ExperimentRequest): Promise<{ experimentId: string; status: ExperimentStatus }> {
    if (this.#isClosed) throw new AppError('CONFLICT', 'the runtime is shutting down', { status: 409 });
    const evaluators = parseEvaluators(request.evaluators, 'body.evaluators');
    await this.#getDataset(request.datasetId);
    const targets: Target[] = [];
    const flows: FlowFile[] = [];
    for (const [index, target] of request.targets.entries()) {
      const resolved = await this.#resolveTarget(target.flowId, target.version, index);
      targets.push({ ...target, flowVersion: resolved.flowVersion });
      flows.push(resolved.flow);
    }
    await this.#checkEvaluators(evaluators, flows);
    const spec: ExperimentSpec = {
      targets,
      evaluators: request.evaluators,
      concurrency: request.concurrency ?? 4,
      repetitions: request.repetitions ?? 1,
    };
    // The items are checked a page at a time at the dataset's revision, then copied by the store at that revision
    // only: a change in between is seen, and the check made again.
    for (let tries = 1; ; tries++) {
      const dataset = await this.#getDataset(request.datasetId);
      const count = await this.#checkItems(request.datasetId, request.split, evaluators, flows, targets);
      if (count === 0) {
        const field = request.split === undefined ? 'body.datasetId' : 'body.split';
        const message =
          request.split === undefined
            ? `dataset "${dataset.id}" has no items`
            : `split "${request.split}" has no items`;
        throw validation([{ field, message }]);
      }
      const row: ExperimentRow = {
        id: newId('ex'),
        ...(request.name !== undefined && { name: request.name }),
        status: 'queued',
        datasetId: dataset.id,
        ...(request.split !== undefined && { split: request.split }),
        datasetRevision: dataset.revision,
        spec: JSON.stringify(spec),
        total: count * targets.length * spec.repetitions,
        createdAt: new Date().toISOString(),
      };
      const source = { datasetId: dataset.id, split: request.split, revision: dataset.revision };
      const shape = { targets: targets.length, repetitions: spec.repetitions };
      if (await this.#store.experiments.create(row, source, shape)) {
        if (await this.#store.experiments.claim(row.id, this.#owner, {})) this.#start(row, spec, evaluators);
        return { experimentId: row.id, status: 'queued' };
      }
      if (tries === CREATE_TRIES) {
        throw new AppError(
          'CONFLICT',
          `dataset "${dataset.id}" kept changing while the experiment was made; try again`,
          {
            status: 409,
            details: [{ field: 'body.datasetId', message: 'changed while its items were read' }],
          },
        );
      }
    }
  }

  async #getDataset(id: string) {
    return this.#datasets.get(id).catch((err) => {
      throw naming(err, 'body.datasetId');
    });
  }

  async #resolveTarget(
    flowId: string,
    version: 'draft' | number,
    index: number,
  ): Promise<{ flow: FlowFile; flowVersion: number | null }> {
    let resolved: { flow: FlowFile; flowVersion: number | null };
    try {
      if (version === 'draft') {
        const stored = await this.#store.getFlow(flowId);
        if (!stored) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" does not exist`);
        resolved = { flow: stored.flow, flowVersion: stored.version };
      } else {
        const published = await this.#published.get(flowId, version);
        resolved = { flow: published.flow, flowVersion: published.flowVersion };
      }
    } catch (err) {
      const field = isAppError(err) && err.code === 'VERSION_NOT_FOUND' ? 'version' : 'flowId';
      throw naming(err, `body.targets.${index}.${field}`);
    }
    const problems = validateFlow(resolved.flow, this.#registry.lookup);
    if (problems.length > 0) {
      throw new AppError(
        'FLOW_INVALID',
        `body.targets.${index}: flow "${flowId}" has ${problems.length} problem(s): ${problems[0]?.message}`,
        { details: problems },
      );
    }
    return resolved;
  }

  async #checkEvaluators(evaluators: readonly Evaluator[], flows: readonly FlowFile[]): Promise<void> {
    const problems: { field: string; message: string }[] = [];
    for (const [index, evaluator] of evaluators.entries()) {
      if (evaluator.output !== undefined) {
        flows.forEach((flow, target) => {
          const names = flowOutputs(flow, this.#registry.lookup).map((output) => output.name);
          if (!names.includes(evaluator.output as string)) {
            problems.push({
              field: `body.evaluators.${index}.output`,
              message: `target ${target} (flow "${flow.id}") has no output "${evaluator.output}" (it has ${names.join(', ') || 'none'})`,
            });
          }
        });
      }
      if (evaluator.type === 'flow') {
        try {
          await this.#runs.savedFlow(evaluator.flowId);
        } catch (err) {
          throw naming(err, `body.evaluators.${index}.flowId`);
        }
      }
    }
    if (problems.length > 0) throw validation(problems);
  }

  /**
   * Every item must fit every target's inputs and carry what the evaluators compare with: read a page at a time, never
   * all at once. Answers how many items there are; VALIDATION_FAILED listing the problems (the first MAX_DETAILS).
   */
  async #checkItems(
    datasetId: string,
    split: string | undefined,
    evaluators: readonly Evaluator[],
    flows: readonly FlowFile[],
    targets: readonly Target[],
  ): Promise<number> {
    const specs = flows.map((flow) => flowInputs(flow, this.#registry.lookup));
    const compared = evaluators
      .map((evaluator, index) => ({ evaluator, index }))
      .filter(({ evaluator }) => NEEDS_EXPECTED.has(evaluator.type) && evaluator.expected === undefined);
    const problems: { field: string; message: string; itemId: string; target?: number }[] = [];
    let total = 0;
    let count = 0;
    const add = (problem: (typeof problems)[number]) => {
      total++;
      if (problems.length < MAX_DETAILS) problems.push(problem);
    };
    for await (const page of this.#datasets.itemPages(datasetId, split)) {
      count += page.length;
      this.#checkPage(page, specs, compared, targets, add);
    }
    if (total > 0) throw validation(problems, total);
    return count;
  }

  #checkPage(
    items: readonly DatasetItem[],
    specs: readonly ReturnType<typeof flowInputs>[],
    compared: readonly { evaluator: Evaluator; index: number }[],
    targets: readonly Target[],
    add: (problem: { field: string; message: string; itemId: string; target?: number }) => void,
  ): void {
    specs.forEach((inputs, target) => {
      for (const item of items) {
        try {
          checkRunInputs(inputs, item.input);
        } catch (err) {
          const label = `${targets[target]?.flowId} ${targets[target]?.version === 'draft' ? 'draft' : `v${targets[target]?.version}`}`;
          add({
            field: `items.${item.id}.input`,
            itemId: item.id,
            target,
            message: `does not fit target ${target} (${label}): ${(err as Error).message}`,
          });
        }
      }
    });
    for (const { evaluator, index } of compared) {
      for (const item of items) {
        if (item.expected !== undefined) continue;
        add({
          field: `items.${item.id}.expected`,
          itemId: item.id,
          message: `is missing: evaluators.${index} (${evaluator.name}) compares with it`,
        });
      }
    }
  }

  #start(row: ExperimentRow, spec: ExperimentSpec, evaluators: readonly Evaluator[]) {
    const launch = this.#launch(row, spec, evaluators)
      .catch((err) => this.#onError(err, `experiment ${row.id} failed`))
      .finally(() => this.#launches.delete(row.id));
    this.#launches.set(row.id, launch);
  }

  /** Runs an experiment this process owns, with its cells still to run (the runner pages them), and writes how it ended. */
  async #launch(row: ExperimentRow, spec: ExperimentSpec, evaluators: readonly Evaluator[]): Promise<void> {
    const counts = await this.#store.experiments.counts(row.id);
    const runner = new ExperimentRunner(
      {
        store: this.#store,
        runs: this.#runs,
        published: this.#published,
        evalServices: evalServices(this.#runs, {
          lookup: this.#registry.lookup,
          embeddings: this.#embeddings,
          source: 'experiment',
        }),
        onProgress: (experimentId, progress) => this.#emit({ type: 'experiment.progress', experimentId, ...progress }),
        onError: (err) => this.#onError(err, `writing finished cells of experiment ${row.id} failed; trying again`),
      },
      { id: row.id, targets: spec.targets, evaluators, concurrency: spec.concurrency },
      { done: counts.finished, total: row.total, errors: counts.errors },
    );
    this.#runners.set(row.id, runner);
    if (this.#isClosed) runner.stop('shutdown');
    if (this.#cancelled.has(row.id)) runner.stop('cancel');
    try {
      await this.#store.experiments.update(row.id, {
        status: 'running',
        ...(row.startedAt === undefined && { startedAt: new Date().toISOString() }),
      });
      runner.start();
      let status: ExperimentStatus;
      let error: ReturnType<typeof toErrorBody> | undefined;
      try {
        status = await runner.done;
      } catch (err) {
        status = 'failed';
        error = toErrorBody(err);
        this.#onError(err, `experiment ${row.id} failed`);
      }
      if (status === 'running') {
        // Stopped for a shutdown: let it go, so the next start (or another process) takes it over.
        await this.#store.experiments.claim(row.id, null, this.#owner);
        return;
      }
      // Cancelled meanwhile through another process: that stays.
      const stored = await this.#store.experiments.get(row.id);
      if (stored && FINAL.has(stored.status)) status = stored.status;
      else {
        await this.#store.experiments.update(row.id, {
          status,
          endedAt: new Date().toISOString(),
          ...(error && { error }),
        });
      }
      this.#emit({ type: 'experiment.completed', experimentId: row.id, status, progress: runner.progress });
    } finally {
      this.#runners.delete(row.id);
      this.#cancelled.delete(row.id);
    }
  }

  /**
   * Takes over experiments left queued or running by a process that is gone (or by none), and goes on with their
   * cells still to run. On Postgres, only those of this machine (another host's pids mean nothing here); on SQLite
   * the data folder is this machine's whatever its host name (a container made anew has another), as for runs.
   */
  async resume(): Promise<string[]> {
    const resumed: string[] = [];
    for (const row of await this.#store.experiments.unfinished()) {
      if (this.#runners.has(row.id) || this.#isClosed) continue;
      const hasOwner = row.ownerHost !== undefined || row.ownerPid !== undefined;
      if (hasOwner) {
        if (this.#store.kind === 'postgres' && row.ownerHost !== this.#owner.host) continue;
        if (row.ownerPid !== undefined && row.ownerPid !== process.pid && isProcessAlive(row.ownerPid)) continue;
      }
      if (!(await this.#store.experiments.claim(row.id, this.#owner, { host: row.ownerHost, pid: row.ownerPid }))) {
        continue;
      }
      const spec = JSON.parse(row.spec) as ExperimentSpec;
      let evaluators: Evaluator[];
      try {
        evaluators = parseEvaluators(spec.evaluators);
      } catch (err) {
        await this.#store.experiments.update(row.id, {
          status: 'failed',
          endedAt: new Date().toISOString(),
          error: toErrorBody(err),
        });
        continue;
      }
      resumed.push(row.id);
      this.#start(row, spec, evaluators);
    }
    return resumed;
  }

  /** Throws EXPERIMENT_NOT_FOUND. */
  async #row(id: string): Promise<ExperimentRow> {
    const row = await this.#store.experiments.get(id);
    if (!row) throw notFound(id);
    return row;
  }

  async #progress(row: ExperimentRow): Promise<Progress> {
    const live = this.#runners.get(row.id);
    if (live) return live.progress;
    const counts = await this.#store.experiments.counts(row.id);
    return { done: counts.finished, total: row.total, errors: counts.errors };
  }

  #view(row: ExperimentRow, progress: Progress): ExperimentView {
    const spec = JSON.parse(row.spec) as ExperimentSpec;
    return {
      experimentId: row.id,
      ...(row.name !== undefined && { name: row.name }),
      status: row.status,
      datasetId: row.datasetId,
      ...(row.split !== undefined && { split: row.split }),
      datasetRevision: row.datasetRevision,
      targets: spec.targets,
      evaluators: spec.evaluators,
      concurrency: spec.concurrency,
      repetitions: spec.repetitions,
      progress,
      ...(row.error && { error: row.error }),
      createdAt: row.createdAt,
      ...(row.startedAt !== undefined && { startedAt: row.startedAt }),
      ...(row.endedAt !== undefined && { endedAt: row.endedAt }),
    };
  }

  /** One experiment with its progress and each target's summary (from the store's aggregates: no cell is loaded). */
  async get(id: string): Promise<ExperimentView> {
    const row = await this.#row(id);
    const [progress, aggregates] = await Promise.all([this.#progress(row), this.#store.experiments.aggregates(id)]);
    const view = this.#view(row, progress);
    return { ...view, summary: summarize(aggregates, view.targets, evaluatorNames(view.evaluators)) };
  }

  /** The newest experiments with their progress (no summaries: `get` has them). */
  async list(limit = 50): Promise<ExperimentView[]> {
    const rows = await this.#store.experiments.list(limit);
    return Promise.all(rows.map(async (row) => this.#view(row, await this.#progress(row))));
  }

  /** Result rows keyed by item id, in the dataset's order, a page at a time (`cursor` from the previous page). */
  async results(
    id: string,
    page: { cursor?: string; limit?: number },
  ): Promise<{ rows: ResultRow[]; cursor?: string }> {
    await this.#row(id);
    const limit = page.limit ?? 100;
    const afterSeq = page.cursor === undefined ? 0 : Number(page.cursor);
    const items = await this.#store.experiments.items(id, { afterSeq, limit: limit + 1 });
    const shown = items.slice(0, limit);
    if (shown.length === 0) return { rows: [] };
    const cells = await this.#store.experiments.cells(id, {
      fromSeq: (shown[0] as ExperimentItem).seq,
      toSeq: (shown.at(-1) as ExperimentItem).seq,
    });
    const bySeq = new Map<number, ExperimentCell[]>();
    for (const cell of cells) bySeq.set(cell.seq, [...(bySeq.get(cell.seq) ?? []), cell]);
    const rows = shown.map(
      (item): ResultRow => ({
        itemId: item.itemId,
        input: item.input,
        ...(item.expected !== undefined && { expected: item.expected }),
        cells: (bySeq.get(item.seq) ?? []).map(
          ({ seq: _seq, endedAt: _endedAt, scores, ...cell }): ResultCell => ({
            ...cell,
            ...(scores && { scores: scores as Record<string, EvalScore> }),
          }),
        ),
      }),
    );
    return items.length > limit ? { rows, cursor: String(shown.at(-1)?.seq) } : { rows };
  }

  /**
   * Compares two targets item by item (see `compareScores`) from each item's score as the store computes it, answering
   * a page of the deltas (`limit`, default 100; `cursor` from the previous page). VALIDATION_FAILED naming
   * `query.baseline` / `query.candidate` for a target the experiment does not have, `query.evaluator` for an evaluator
   * it does not have.
   */
  async compare(
    id: string,
    query: {
      baseline?: number;
      candidate?: number;
      evaluator?: string;
      seed?: number;
      resamples?: number;
      limit?: number;
      cursor?: string;
    },
  ): Promise<Comparison> {
    const row = await this.#row(id);
    const spec = JSON.parse(row.spec) as ExperimentSpec;
    const baseline = query.baseline ?? 0;
    const candidate = query.candidate ?? 1;
    const problems: { field: string; message: string }[] = [];
    for (const [field, target] of [
      ['query.baseline', baseline],
      ['query.candidate', candidate],
    ] as const) {
      if (target >= spec.targets.length) {
        problems.push({
          field,
          message: `the experiment has ${spec.targets.length} target(s), 0 to ${spec.targets.length - 1}`,
        });
      }
    }
    if (query.evaluator !== undefined) {
      const names = evaluatorNames(spec.evaluators);
      if (!names.includes(query.evaluator)) {
        problems.push({ field: 'query.evaluator', message: `is none of the experiment's: ${names.join(', ')}` });
      }
    }
    if (problems.length > 0) {
      throw new AppError('VALIDATION_FAILED', `${problems[0]?.field}: ${problems[0]?.message}`, { details: problems });
    }
    const evaluator = query.evaluator ?? null;
    const scores = await this.#store.experiments.itemScores(id, [...new Set([baseline, candidate])], evaluator);
    const items = row.total / (spec.targets.length * spec.repetitions);
    const { deltas, ...comparison } = compareScores(scores, items, {
      baseline,
      candidate,
      evaluator,
      resamples: query.resamples ?? 2000,
      seed: query.seed ?? 1,
    });
    const offset = query.cursor === undefined ? 0 : Number(query.cursor);
    const page = deltas.slice(offset, offset + (query.limit ?? 100));
    const itemIds = await this.#store.experiments.itemIds(
      id,
      page.map((delta) => delta.seq),
    );
    const next = offset + page.length;
    return {
      experimentId: id,
      ...comparison,
      deltas: page.map(({ seq, ...delta }) => ({ itemId: itemIds.get(seq) ?? String(seq), ...delta })),
      ...(next < deltas.length && { cursor: String(next) }),
    };
  }

  /**
   * Cancels an experiment: its live runs are cancelled, finished cells stay. EXPERIMENT_NOT_RUNNING (409) when it has
   * ended already. Answers it once stopped.
   */
  async cancel(id: string): Promise<ExperimentView> {
    const row = await this.#row(id);
    if (FINAL.has(row.status)) {
      throw new AppError('EXPERIMENT_NOT_RUNNING', `experiment "${id}" is not running (status ${row.status})`);
    }
    const runner = this.#runners.get(id);
    const launch = this.#launches.get(id);
    if (launch) {
      this.#cancelled.add(id);
      runner?.stop('cancel');
      // Its end (the status, the completed event) is written by #launch.
      await launch;
    } else {
      await this.#store.experiments.update(id, { status: 'cancelled', endedAt: new Date().toISOString() });
      this.#emit({
        type: 'experiment.completed',
        experimentId: id,
        status: 'cancelled',
        progress: await this.#progress(row),
      });
    }
    return this.get(id);
  }

  /** True when this process runs the experiment now. */
  isRunning(id: string): boolean {
    return this.#runners.has(id);
  }

  /** The experiment as watchers start from: its progress, and whether it has ended. Throws EXPERIMENT_NOT_FOUND. */
  async watchState(id: string): Promise<{ status: ExperimentStatus; progress: Progress }> {
    const row = await this.#row(id);
    return { status: row.status, progress: await this.#progress(row) };
  }

  /** Called with every progress and completion event. Returns the unsubscribe function. */
  onEvent(listener: (event: ExperimentEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #emit(event: ExperimentEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A watcher that fails (a socket gone) must not stop an experiment.
      }
    }
  }

  /**
   * Stops every experiment this process runs without ending them (their live runs are cancelled, their cells stay
   * pending) and lets them go, so the next start takes them over.
   */
  async close(): Promise<void> {
    this.#isClosed = true;
    for (const runner of this.#runners.values()) runner.stop('shutdown');
    await Promise.allSettled([...this.#launches.values()]);
  }
}
