import { type FormEvent, useEffect, useState } from 'react';
import { api, type FlowSummary, HttpError } from '../api/http';
import { type Dataset, datasetsApi } from '../datasets/api';
import { Field } from '../ui/Field';
import { navigate } from '../ui/router';
import { experimentsApi } from './api';

interface TargetDraft {
  flowId: string;
  version: string;
  /** The flow's published versions (loaded when the flow is picked). */
  versions: number[];
}

/** The evaluators offered as checkboxes, each with what it needs. */
const EVALUATORS = [
  { key: 'exact', label: 'Exact match', needsExpected: true },
  { key: 'contains', label: 'Contains the expected answer', needsExpected: true },
  { key: 'bleu', label: 'BLEU', needsExpected: true },
  { key: 'rougeL', label: 'ROUGE-L', needsExpected: true },
  { key: 'llm_judge', label: 'LLM judge (a rubric)', needsExpected: false },
  { key: 'latency', label: 'Latency under a limit', needsExpected: false },
] as const;
type EvaluatorKey = (typeof EVALUATORS)[number]['key'];

/** The evaluator objects of the picked checkboxes (docs/contracts.md §7). */
export function evaluatorObjects(
  picked: ReadonlySet<EvaluatorKey>,
  options: { rubric: string; maxMs: number },
): Record<string, unknown>[] {
  const list: Record<string, unknown>[] = [];
  for (const { key } of EVALUATORS) {
    if (!picked.has(key)) continue;
    if (key === 'rougeL') list.push({ type: 'rouge', variant: 'rougeL', name: 'rougeL' });
    else if (key === 'llm_judge') list.push({ type: 'llm_judge', rubric: options.rubric });
    else if (key === 'latency') list.push({ type: 'latency', maxMs: options.maxMs });
    else list.push({ type: key });
  }
  return list;
}

/** The form of a new experiment: a dataset (and split), targets (a flow's draft or a published version), evaluators. */
export function NewExperiment({ initialDatasetId }: { initialDatasetId?: string }) {
  const [datasets, setDatasets] = useState<Dataset[]>([]);
  const [flows, setFlows] = useState<FlowSummary[]>([]);
  const [name, setName] = useState('');
  const [datasetId, setDatasetId] = useState(initialDatasetId ?? '');
  const [split, setSplit] = useState('');
  const [targets, setTargets] = useState<TargetDraft[]>([{ flowId: '', version: 'draft', versions: [] }]);
  const [picked, setPicked] = useState<Set<EvaluatorKey>>(new Set(['exact', 'rougeL']));
  const [rubric, setRubric] = useState('Is the answer correct, complete and polite?');
  const [maxMs, setMaxMs] = useState('5000');
  const [concurrency, setConcurrency] = useState('4');
  const [repetitions, setRepetitions] = useState('1');
  const [error, setError] = useState<{ message: string; problems: string[] } | null>(null);

  useEffect(() => {
    Promise.all([datasetsApi.list(), api.flows()])
      .then(([ds, fs]) => {
        setDatasets(ds);
        setFlows(fs);
        setDatasetId((current) => current || ds[0]?.id || '');
      })
      .catch((err: Error) => setError({ message: err.message, problems: [] }));
  }, []);

  const setTarget = (index: number, change: Partial<TargetDraft>) =>
    setTargets((list) => list.map((t, i) => (i === index ? { ...t, ...change } : t)));

  const pickFlow = async (index: number, flowId: string) => {
    setTarget(index, { flowId, version: 'draft', versions: [] });
    if (!flowId) return;
    try {
      const versions = await experimentsApi.versions(flowId);
      const numbers = versions.map((v) => v.version);
      setTarget(index, { flowId, versions: numbers, version: numbers[0] ? String(numbers[0]) : 'draft' });
    } catch {
      // Not published: only the draft.
    }
  };

  const toggle = (key: EvaluatorKey) =>
    setPicked((set) => {
      const next = new Set(set);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const { experimentId } = await experimentsApi.create({
        ...(name.trim() && { name: name.trim() }),
        datasetId,
        ...(split.trim() && { split: split.trim() }),
        targets: targets.map((t) => ({
          flowId: t.flowId,
          version: t.version === 'draft' ? 'draft' : Number(t.version),
        })),
        evaluators: evaluatorObjects(picked, { rubric, maxMs: Number(maxMs) }),
        concurrency: Number(concurrency),
        repetitions: Number(repetitions),
      });
      navigate({ page: 'experiments', experimentId });
    } catch (err) {
      if (!(err instanceof HttpError)) {
        setError({ message: String(err), problems: [] });
        return;
      }
      const details = (err.body.details ?? []) as { field?: string; message?: string }[];
      setError({
        message: err.message,
        problems: details.map((d) => `${d.field ?? ''} ${d.message ?? ''}`.trim()).slice(0, 20),
      });
    }
  };

  return (
    <form
      className="data-form"
      onSubmit={(e) => void submit(e)}
      data-testid="new-experiment-form"
      aria-label="New experiment"
    >
      <Field id="exp-name" label="Name (optional)">
        <input id="exp-name" className="input" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
      </Field>
      <Field id="exp-dataset" label="Dataset">
        <select
          id="exp-dataset"
          className="input"
          value={datasetId}
          onChange={(e) => setDatasetId(e.target.value)}
          required
          data-testid="exp-dataset"
        >
          {datasets.length === 0 ? <option value="">No datasets yet</option> : null}
          {datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} ({d.itemCount} items)
            </option>
          ))}
        </select>
      </Field>
      <Field id="exp-split" label="Split (optional)">
        <input id="exp-split" className="input" value={split} onChange={(e) => setSplit(e.target.value)} />
      </Field>
      <fieldset className="fieldset-plain" style={{ flexBasis: '100%' }}>
        <legend className="field-label">Targets: the flows (and versions) to run</legend>
        {targets.map((target, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: targets are edited in place, by position
          <div key={index} className="target-row" data-testid={`exp-target-${index}`}>
            <label htmlFor={`exp-target-flow-${index}`}>Target {index + 1}</label>
            <select
              id={`exp-target-flow-${index}`}
              className="input input-sm"
              value={target.flowId}
              onChange={(e) => void pickFlow(index, e.target.value)}
              required
              data-testid={`exp-target-flow-${index}`}
            >
              <option value="">Pick a flow…</option>
              {flows.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.name} ({f.id})
                </option>
              ))}
            </select>
            <label className="sr-only" htmlFor={`exp-target-version-${index}`}>
              Version of target {index + 1}
            </label>
            <select
              id={`exp-target-version-${index}`}
              className="input input-sm"
              value={target.version}
              onChange={(e) => setTarget(index, { version: e.target.value })}
              data-testid={`exp-target-version-${index}`}
            >
              <option value="draft">draft</option>
              {target.versions.map((v) => (
                <option key={v} value={String(v)}>
                  published v{v}
                </option>
              ))}
            </select>
            {targets.length > 1 ? (
              <button
                type="button"
                className="btn btn-ghost btn-sm"
                onClick={() => setTargets((list) => list.filter((_, i) => i !== index))}
                aria-label={`Remove target ${index + 1}`}
              >
                Remove
              </button>
            ) : null}
          </div>
        ))}
        {targets.length < 8 ? (
          <button
            type="button"
            className="btn btn-sm"
            onClick={() => setTargets((list) => [...list, { flowId: '', version: 'draft', versions: [] }])}
            data-testid="exp-add-target"
          >
            Add a target
          </button>
        ) : null}
      </fieldset>
      <fieldset className="fieldset-plain" style={{ flexBasis: '100%' }}>
        <legend className="field-label">Evaluators</legend>
        {EVALUATORS.map((evaluator) => (
          <div key={evaluator.key} className="evaluator-row">
            <label>
              <input
                type="checkbox"
                checked={picked.has(evaluator.key)}
                onChange={() => toggle(evaluator.key)}
                data-testid={`exp-eval-${evaluator.key}`}
              />{' '}
              {evaluator.label}
              {evaluator.needsExpected ? <span className="muted small"> (needs expected answers)</span> : null}
            </label>
            {evaluator.key === 'llm_judge' && picked.has('llm_judge') ? (
              <>
                <label htmlFor="exp-rubric" className="sr-only">
                  Rubric
                </label>
                <input
                  id="exp-rubric"
                  className="input input-sm"
                  style={{ minWidth: 320 }}
                  value={rubric}
                  onChange={(e) => setRubric(e.target.value)}
                />
              </>
            ) : null}
            {evaluator.key === 'latency' && picked.has('latency') ? (
              <>
                <label htmlFor="exp-max-ms">at most (ms)</label>
                <input
                  id="exp-max-ms"
                  className="input input-sm"
                  type="number"
                  min={1}
                  value={maxMs}
                  onChange={(e) => setMaxMs(e.target.value)}
                />
              </>
            ) : null}
          </div>
        ))}
      </fieldset>
      <Field id="exp-concurrency" label="Runs at once (1–32)">
        <input
          id="exp-concurrency"
          className="input"
          type="number"
          min={1}
          max={32}
          value={concurrency}
          onChange={(e) => setConcurrency(e.target.value)}
        />
      </Field>
      <Field id="exp-repetitions" label="Repetitions">
        <input
          id="exp-repetitions"
          className="input"
          type="number"
          min={1}
          max={20}
          value={repetitions}
          onChange={(e) => setRepetitions(e.target.value)}
        />
      </Field>
      <button type="submit" className="btn btn-primary" disabled={!datasetId} data-testid="exp-start">
        Start experiment
      </button>
      {error ? (
        <div role="alert" className="callout callout-error" style={{ flexBasis: '100%' }} data-testid="exp-error">
          {error.message}
          {error.problems.length > 0 ? (
            <ul className="problems-list">
              {error.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}
