import type { ChatShape, FlowDiffAnswer, FlowInputSpec, PublishAnswer } from '@flowloom/nodes/spec';
import { useCallback, useEffect, useState } from 'react';
import { Field } from '../ui/Field';
import { timeAgo } from '../ui/format';
import { Modal } from '../ui/Modal';
import { type PublishedSummary, publishApi } from './api';
import { DiffView } from './DiffView';
import { describePublishError, type PublishErrorView, type PublishField } from './errors';
import { curlSnippet, javascriptSnippet, openaiSnippet, pythonSnippet, widgetSnippet } from './snippets';
import './publish.css';

/** The longest run a published version may allow (the API's 3,600,000 ms). */
const MAX_TIMEOUT_SECONDS = 3600;

type SnippetKind = 'curl' | 'javascript' | 'python' | 'openai' | 'widget';
const SNIPPET_LABEL: Record<SnippetKind, string> = {
  curl: 'curl',
  javascript: 'JavaScript',
  python: 'Python',
  openai: 'OpenAI SDK',
  widget: 'Chat widget',
};

function parseOrigins(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

/**
 * Publishing a flow: publish the draft (with CORS origins and a run time limit), the endpoint with ready snippets
 * using the flow's real inputs, and the version history with diffs and rollback.
 */
export function PublishDialog({
  flowId,
  onClose,
  beforePublish,
}: {
  flowId: string;
  onClose: () => void;
  /** Runs first (the editor saves pending edits, so what is published is what is on screen). */
  beforePublish?: () => Promise<unknown>;
}) {
  const [versions, setVersions] = useState<PublishedSummary[]>([]);
  const [inputs, setInputs] = useState<FlowInputSpec[]>([]);
  const [chat, setChat] = useState<ChatShape | null>(null);
  const [last, setLast] = useState<PublishAnswer | null>(null);
  const [note, setNote] = useState('');
  const [origins, setOrigins] = useState('');
  const [timeoutSec, setTimeoutSec] = useState('120');
  const [snippet, setSnippet] = useState<SnippetKind>('curl');
  const [diff, setDiff] = useState<FlowDiffAnswer | null>(null);
  const [error, setError] = useState<PublishErrorView | null>(null);
  const [isBusy, setBusy] = useState(false);

  const reload = useCallback(async () => {
    const [list, io] = await Promise.all([publishApi.versions(flowId), publishApi.inputs(flowId)]);
    setVersions(list.versions);
    setInputs(io.inputs);
    setChat(io.chat);
    const newest = list.versions[0];
    if (newest) {
      setOrigins(newest.settings.allowedOrigins.join('\n'));
      setTimeoutSec(String(Math.round(newest.settings.timeoutMs / 1000)));
    }
  }, [flowId]);

  useEffect(() => {
    reload().catch((err: unknown) => setError(describePublishError(err, [])));
  }, [reload]);

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(describePublishError(err, parseOrigins(origins)));
    } finally {
      setBusy(false);
    }
  };

  const publish = () => {
    // Checked here, in seconds: the API's limit is in milliseconds, and a value like "abc" must not become a default.
    const seconds = Number(timeoutSec);
    if (timeoutSec.trim() === '' || !Number.isFinite(seconds) || seconds < 0.1 || seconds > MAX_TIMEOUT_SECONDS) {
      setError({
        message: 'Check the marked fields.',
        fields: { timeout: [`a number of seconds from 0.1 to ${MAX_TIMEOUT_SECONDS}`] },
        problems: [],
      });
      return;
    }
    return act(async () => {
      setLast(null);
      await beforePublish?.();
      const allowedOrigins = parseOrigins(origins);
      const answer = await publishApi.publish(flowId, {
        ...(note.trim() && { note: note.trim() }),
        settings: { allowedOrigins, timeoutMs: Math.round(seconds * 1000) },
      });
      setLast(answer);
      setNote('');
      setDiff(null);
      await reload();
    });
  };

  const rollback = (version: number) =>
    act(async () => {
      setLast(await publishApi.rollback(flowId, version));
      setDiff(null);
      await reload();
    });

  const showDiff = (from: string, to: string) => act(async () => setDiff(await publishApi.diff(flowId, from, to)));

  const invalid = (field: PublishField) =>
    error?.fields[field]
      ? { 'aria-invalid': true, 'aria-describedby': `publish-${field}-error` }
      : { 'aria-invalid': undefined };
  const fieldErrors = (field: PublishField) => {
    const messages = error?.fields[field];
    if (!messages) return null;
    return (
      <div className="field-error" id={`publish-${field}-error`} data-testid={`publish-error-${field}`}>
        {messages.map((m) => (
          <div key={m}>{m}</div>
        ))}
      </div>
    );
  };

  const latest = versions[0];
  const origin = window.location.origin;
  const isChat = (last ?? { chat }).chat !== null;
  const kinds: SnippetKind[] = isChat
    ? ['curl', 'javascript', 'python', 'openai', 'widget']
    : ['curl', 'javascript', 'python'];
  const options = { origin, flowId, inputs };
  const code = {
    curl: curlSnippet,
    javascript: javascriptSnippet,
    python: pythonSnippet,
    openai: openaiSnippet,
    widget: widgetSnippet,
  }[snippet](options);

  return (
    <Modal title={`Publish “${flowId}”`} onClose={onClose} testId="publish-dialog" wide>
      <div className="publish">
        <section>
          <h3>Publish the draft</h3>
          <p className="muted">
            Publishing freezes the current draft as a new version. Callers always get the newest published version;
            editing the draft changes nothing for them until you publish again.
          </p>
          <div className="publish-form">
            <Field id="publish-note" label="Note" error={fieldErrors('note')} className="publish-note">
              <input
                id="publish-note"
                className="input"
                value={note}
                onChange={(e) => setNote(e.target.value)}
                placeholder="What changed (optional)"
                {...invalid('note')}
              />
            </Field>
            <Field
              id="publish-origins"
              label="Allowed origins"
              error={fieldErrors('origins')}
              help="Browser pages that may call it, one per line as scheme://host[:port]; * for any."
            >
              <textarea
                id="publish-origins"
                className="input textarea mono"
                value={origins}
                onChange={(e) => setOrigins(e.target.value)}
                rows={3}
                placeholder="https://example.com"
                {...invalid('origins')}
              />
            </Field>
            <Field id="publish-timeout" label="Run time limit (seconds)" error={fieldErrors('timeout')}>
              <input
                id="publish-timeout"
                className="input"
                type="number"
                min={0.1}
                max={MAX_TIMEOUT_SECONDS}
                step="any"
                value={timeoutSec}
                onChange={(e) => setTimeoutSec(e.target.value)}
                {...invalid('timeout')}
              />
            </Field>
          </div>
          {error && (
            <div role="alert" className="callout callout-error" data-testid="publish-error">
              {error.message}
              {error.problems.length > 0 && (
                <ul className="publish-problems" data-testid="publish-problems">
                  {error.problems.map((problem) => (
                    <li key={problem}>{problem}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
          <div className="publish-submit-row">
            {last && (
              <p className="publish-ok" role="status" data-testid="publish-result">
                Published v{last.version}
                {last.rollbackOf !== null && ` (rollback of v${last.rollbackOf})`} at{' '}
                <code>{origin + last.endpoint}</code>
              </p>
            )}
            <button
              type="button"
              className="btn btn-primary"
              onClick={publish}
              disabled={isBusy}
              data-testid="publish-submit"
            >
              Publish {latest ? `v${latest.version + 1}` : 'v1'}
            </button>
          </div>
        </section>

        <section>
          <h3>Call it</h3>
          <p className="muted">
            Endpoint: <code data-testid="publish-endpoint">{`${origin}/api/v1/flows/${flowId}/run`}</code> with an API
            key from the <a href="#/keys">keys page</a>.
          </p>
          <div className="tabs" role="tablist" aria-label="Snippet language">
            {kinds.map((kind) => (
              <button
                key={kind}
                type="button"
                role="tab"
                aria-selected={snippet === kind}
                onClick={() => setSnippet(kind)}
                data-testid={`snippet-tab-${kind}`}
              >
                {SNIPPET_LABEL[kind]}
              </button>
            ))}
          </div>
          <pre className="publish-snippet" data-testid="snippet">
            {code}
          </pre>
          <button type="button" className="btn btn-sm" onClick={() => void navigator.clipboard?.writeText(code)}>
            Copy
          </button>
        </section>

        <section>
          <h3>Versions</h3>
          {versions.length === 0 ? (
            <p className="muted">Not published yet.</p>
          ) : (
            <table className="publish-versions" data-testid="versions">
              <tbody>
                {versions.map((v, i) => (
                  <tr key={v.version} data-testid={`version-${v.version}`}>
                    <td>
                      <strong>v{v.version}</strong>
                      {i === 0 && <span className="badge">live</span>}
                    </td>
                    <td className="muted">{timeAgo(v.publishedAt)}</td>
                    <td>
                      {v.note ?? ''}
                      {v.rollbackOf !== null && <span className="muted"> (rollback of v{v.rollbackOf})</span>}
                    </td>
                    <td className="publish-actions">
                      <button
                        type="button"
                        className="btn btn-ghost btn-sm"
                        onClick={() => showDiff(String(v.version), 'draft')}
                        data-testid={`diff-draft-${v.version}`}
                      >
                        Diff with draft
                      </button>
                      {versions[i + 1] && (
                        <button
                          type="button"
                          className="btn btn-ghost btn-sm"
                          onClick={() => showDiff(String(versions[i + 1]?.version), String(v.version))}
                          data-testid={`diff-prev-${v.version}`}
                        >
                          Diff with v{versions[i + 1]?.version}
                        </button>
                      )}
                      {i > 0 && (
                        <button
                          type="button"
                          className="btn btn-sm"
                          onClick={() => rollback(v.version)}
                          disabled={isBusy}
                          data-testid={`rollback-${v.version}`}
                        >
                          Roll back to this
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {diff && <DiffView diff={diff} />}
        </section>
      </div>
    </Modal>
  );
}
