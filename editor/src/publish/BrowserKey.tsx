import { useState } from 'react';
import { HttpError } from '../api/http';
import { Field } from '../ui/Field';
import { publishApi } from './api';
import { parseOrigins } from './use-publishing';

/** A refused key in the form's words: a bad origin is named, other problems said as the server says them. */
function keyError(err: unknown, sent: readonly string[]): string {
  if (!(err instanceof HttpError)) return err instanceof Error ? err.message : String(err);
  const details = Array.isArray(err.body.details) ? (err.body.details as { field?: string; message?: string }[]) : [];
  if (details.length === 0) return err.message;
  return details
    .map((d) => {
      const index = /^body\.origins\.(\d+)$/.exec(d.field ?? '')?.[1];
      return index !== undefined ? `“${sent[Number(index)]}” is not an origin.` : `${d.message ?? ''}.`;
    })
    .join(' ');
}

/**
 * For the chat widget: what its key is, and a form that makes one. A page's key is read by every visitor, so the
 * widget takes a browser key (`flk_pub_…`), which runs only this flow, only from the pages' origins; a secret key
 * (`flk_…`) must never be put in a page.
 */
export function BrowserKey({
  flowId,
  suggestedOrigins,
  onCreated,
}: {
  flowId: string;
  /** The publish form's allowed origins, offered as the pages' origins. */
  suggestedOrigins: readonly string[];
  onCreated: (key: string) => void;
}) {
  const [origins, setOrigins] = useState(() => suggestedOrigins.filter((o) => o !== '*').join('\n'));
  const [created, setCreated] = useState<{ key: string; origins: string[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);

  const create = async () => {
    const list = parseOrigins(origins);
    setBusy(true);
    setError(null);
    try {
      const key = await publishApi.createKey({
        name: `${flowId} widget`,
        kind: 'browser',
        flows: [flowId],
        origins: list,
      });
      setCreated({ key: key.key, origins: key.origins });
      onCreated(key.key);
    } catch (err) {
      setError(keyError(err, list));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="browser-key" data-testid="browser-key">
      <p>
        The widget runs in your visitors' browsers, so anyone can read its key. Use a <strong>browser key</strong> (
        <code>flk_pub_…</code>): it runs only <code>{flowId}</code>, only from the pages' origins. Never put a secret
        key (<code>flk_…</code>, from the keys page) in a web page: it calls every flow it is scoped to, from anywhere.
      </p>
      {created ? (
        <p className="publish-ok" role="status" data-testid="browser-key-created">
          Browser key created for {created.origins.join(', ')}; it is in the snippet below. It is listed, and can be
          revoked, on the <a href="#/keys">keys page</a>.
        </p>
      ) : (
        <div className="browser-key-form">
          <Field
            id="browser-key-origins"
            label="Pages that embed it (origins)"
            help="One per line, as scheme://host[:port], e.g. https://shop.example."
            error={
              error ? (
                <div className="field-error" id="browser-key-error" role="alert" data-testid="browser-key-error">
                  {error}
                </div>
              ) : null
            }
          >
            <textarea
              id="browser-key-origins"
              className="input textarea mono"
              rows={2}
              value={origins}
              onChange={(e) => setOrigins(e.target.value)}
              placeholder="https://shop.example"
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? 'browser-key-error' : undefined}
            />
          </Field>
          <button
            type="button"
            className="btn btn-sm"
            onClick={() => {
              if (!isBusy) void create();
            }}
            aria-disabled={isBusy || undefined}
            data-testid="create-browser-key"
          >
            Create a browser key
          </button>
        </div>
      )}
    </div>
  );
}
