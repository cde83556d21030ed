import { Field } from '../ui/Field';
import type { PublishField } from './errors';
import { toSeconds } from './timeout';
import type { Publishing } from './use-publishing';

/** "Publish the draft": note, allowed origins, time limit; the error or the published version; the button. */
export function PublishForm({
  publishing: { form, setForm, timeoutCeilingMs, loweredTimeout, error, last, versions, isBusy, publish, hasChanges },
}: {
  publishing: Publishing;
}) {
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

  return (
    <section>
      <h3>Publish the draft</h3>
      <p className="muted">
        Publishing freezes the current draft as a new version. Callers always get the newest published version; editing
        the draft changes nothing for them until you publish again.
      </p>
      {latest ? (
        <p className="publish-live" data-testid="publish-live">
          <span className="badge">live</span> v{latest.version}
          {hasChanges ? ' · the draft or the settings changed since' : ' · the draft has not changed since'}
        </p>
      ) : (
        <p className="publish-live muted" data-testid="publish-live">
          Not published yet.
        </p>
      )}
      <div className="publish-form">
        <Field id="publish-note" label="Note" error={fieldErrors('note')} className="publish-note">
          <input
            id="publish-note"
            className="input"
            value={form.note}
            onChange={(e) => setForm({ ...form, note: e.target.value })}
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
            value={form.origins}
            onChange={(e) => setForm({ ...form, origins: e.target.value })}
            rows={3}
            placeholder="https://example.com"
            {...invalid('origins')}
          />
        </Field>
        <Field
          id="publish-timeout"
          label="Run time limit (seconds)"
          error={fieldErrors('timeout')}
          help={
            <span data-testid="publish-timeout-help">
              {loweredTimeout &&
                `v${loweredTimeout.version} allowed ${toSeconds(loweredTimeout.fromMs)} s, more than this server allows: lowered. `}
              At most {toSeconds(timeoutCeilingMs)} s on this server.
            </span>
          }
        >
          <input
            id="publish-timeout"
            className="input"
            type="number"
            min={0.1}
            max={toSeconds(timeoutCeilingMs)}
            step="any"
            value={form.timeoutSec}
            onChange={(e) => setForm({ ...form, timeoutSec: e.target.value })}
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
        {/* Always there, so that what it says when a publish ends is read out. */}
        <div className="publish-status" role="status">
          {last && (
            <p className="publish-ok" data-testid="publish-result">
              Published v{last.version}
              {last.rollbackOf !== null && ` (rollback of v${last.rollbackOf})`} at{' '}
              <code>{window.location.origin + last.endpoint}</code>
            </p>
          )}
        </div>
        {/* aria-disabled, not disabled, while busy or with nothing to publish: focus stays on the button instead of
            falling to the page. */}
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => {
            if (!isBusy && hasChanges) void publish();
          }}
          aria-disabled={isBusy || !hasChanges || undefined}
          title={
            hasChanges ? undefined : 'The draft and the settings are those of the live version: change something first'
          }
          data-testid="publish-submit"
        >
          {hasChanges || !latest
            ? `Publish ${latest ? `v${latest.version + 1}` : 'v1'}`
            : `Nothing to publish: v${latest.version} is live`}
        </button>
      </div>
    </section>
  );
}
