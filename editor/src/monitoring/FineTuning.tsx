import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { type Experiment, experimentsApi } from '../experiments/api';
import { formatTokens, timeAgo } from '../ui/format';
import { type ExportCounts, type FineTuneFilters, type FineTuneJob, fineTuneApi } from './api';
import { pairSources } from './pair-sources';
import { SelectField } from './SelectField';

/**
 * Turns a flow's good runs into fine-tuning data (a JSONL download, or a job started at the provider) and lists the
 * jobs: a succeeded job's model joins the `llm` node's model list.
 */
export function FineTuning({ flowId }: { flowId?: string }) {
  const [format, setFormat] = useState<FineTuneFilters['format']>('openai-sft');
  const [minScore, setMinScore] = useState('');
  const [model, setModel] = useState('gpt-4o-mini-2024-07-18');
  const [suffix, setSuffix] = useState('');
  const [counts, setCounts] = useState<ExportCounts | null>(null);
  const [jobs, setJobs] = useState<FineTuneJob[]>([]);
  /** Where preference pairs come from: '' for feedback, else an experiment's id. */
  const [pairsFrom, setPairsFrom] = useState('');
  const [experiments, setExperiments] = useState<Experiment[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fromExperiment = format === 'openai-dpo' && pairsFrom !== '';

  // An experiment names its runs: the flow and score filters do not go with it.
  const filters = (): FineTuneFilters =>
    fromExperiment
      ? { format, experimentId: pairsFrom }
      : {
          format,
          ...(flowId && { flowId }),
          ...(minScore.trim() !== '' && { minScore: Number(minScore) }),
        };

  const reload = useCallback(async () => {
    try {
      const [found, listed] = await Promise.all([fineTuneApi.jobs(), experimentsApi.list()]);
      setJobs(found);
      const offered = pairSources(listed, flowId);
      setExperiments(offered);
      // Another flow's page: an experiment chosen on the last one may not be offered here.
      setPairsFrom((chosen) => (offered.some((e) => e.experimentId === chosen) ? chosen : ''));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [flowId]);
  useEffect(() => {
    void reload();
  }, [reload]);

  const act = async (action: () => Promise<void>) => {
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const download = () => act(async () => setCounts(await fineTuneApi.download(filters())));
  const start = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      await fineTuneApi.start({ ...filters(), model: model.trim(), ...(suffix.trim() && { suffix: suffix.trim() }) });
      await reload();
    });
  };

  return (
    <section aria-labelledby="finetune-title" className="monitoring-history">
      <h2 id="finetune-title" className="monitoring-h2">
        Fine-tuning
      </h2>
      <p className="muted">
        {flowId ? `Runs of ${flowId}` : 'Runs of every flow'} as OpenAI fine-tuning data: each llm and function-call
        node's exact messages, tools and answer (supervised), or preference pairs: answers rated up and down to the same
        input, corrections against the answers they correct, or an experiment's better target against its worse on each
        dataset item.
      </p>
      <form className="history-filters" onSubmit={start} aria-label="Fine-tuning data">
        <SelectField
          label="Examples"
          value={format}
          onChange={(value) => setFormat(value as FineTuneFilters['format'])}
          options={[
            ['openai-sft', 'Supervised'],
            ['openai-dpo', 'Preference pairs (DPO)'],
          ]}
          testId="finetune-format"
        />
        {format === 'openai-dpo' && (
          <SelectField
            label="Pairs from"
            value={pairsFrom}
            onChange={setPairsFrom}
            options={[
              ['', 'Feedback (thumbs, corrections)'],
              ...experiments.map(
                (experiment) =>
                  [experiment.experimentId, `Experiment ${experiment.name ?? experiment.experimentId}`] as const,
              ),
            ]}
            testId="finetune-pairs-from"
          />
        )}
        {!fromExperiment && (
          <label>
            <span className="field-label">Min. feedback score</span>
            <input
              className="input"
              type="number"
              min={-1}
              max={1}
              step={0.1}
              value={minScore}
              onChange={(e) => setMinScore(e.target.value)}
              placeholder="any"
              data-testid="finetune-min-score"
            />
          </label>
        )}
        <label>
          <span className="field-label">Base model</span>
          <input
            className="input"
            value={model}
            onChange={(e) => setModel(e.target.value)}
            required
            data-testid="finetune-model"
          />
        </label>
        <label>
          <span className="field-label">Suffix</span>
          <input
            className="input"
            value={suffix}
            onChange={(e) => setSuffix(e.target.value)}
            placeholder="optional"
            data-testid="finetune-suffix"
          />
        </label>
        <button
          type="button"
          className="btn"
          onClick={() => void download()}
          disabled={busy}
          data-testid="finetune-download"
        >
          Download JSONL
        </button>
        <button
          type="submit"
          className="btn btn-primary"
          disabled={busy || model.trim() === ''}
          data-testid="finetune-start"
        >
          Start fine-tune
        </button>
      </form>
      {counts && (
        <p role="status" className="muted" data-testid="finetune-counts">
          {counts.examples} examples from {counts.runs} runs,{' '}
          {formatTokens({ promptTokens: counts.tokens, completionTokens: 0 })}
        </p>
      )}
      {error && (
        <div role="alert" className="callout callout-error">
          {error}
        </div>
      )}
      <div className="finetune-jobs-head">
        <h3 className="monitoring-h3">Jobs</h3>
        <button
          type="button"
          className="btn btn-ghost btn-sm"
          onClick={() => void reload()}
          data-testid="finetune-refresh"
        >
          Refresh
        </button>
      </div>
      {jobs.length === 0 ? (
        <p className="muted">No fine-tuning job yet.</p>
      ) : (
        <table className="publish-versions" data-testid="finetune-jobs">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Base model</th>
              <th scope="col">Method</th>
              <th scope="col">Examples</th>
              <th scope="col">Status</th>
              <th scope="col">Model</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.id} data-testid={`finetune-job-${job.id}`}>
                <td className="muted">{timeAgo(job.createdAt)}</td>
                <td>{job.baseModel}</td>
                <td>{job.method}</td>
                <td>
                  {job.examples} ({formatTokens({ promptTokens: job.tokens, completionTokens: 0 })})
                </td>
                <td>
                  <span className={`status-text status-${job.status === 'succeeded' ? 'completed' : job.status}`}>
                    {job.status}
                  </span>
                  {job.error && <div className="muted small">{job.error}</div>}
                </td>
                <td>{job.fineTunedModel ? <code>{job.fineTunedModel}</code> : <span className="muted">–</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
