import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api, type FlowSummary, HttpError } from '../api/http';
import { type ApiKey, publishApi } from '../publish/api';
import { parseOrigins } from '../publish/use-publishing';
import { Field } from '../ui/Field';
import { timeAgo } from '../ui/format';
import { useDocumentTitle } from '../ui/use-document-title';
import '../publish/publish.css';
import { ThemeSwitch } from '../ui/ThemeSwitch';
import '../ui/page.css';

/** A refused key creation, with the server's reasons (each names its field). */
function describeKeyError(err: unknown): string {
  if (!(err instanceof HttpError)) return err instanceof Error ? err.message : String(err);
  const details = Array.isArray(err.body.details) ? (err.body.details as { field?: string; message?: string }[]) : [];
  return details.length > 0 ? details.map((d) => `${d.field ?? ''}: ${d.message ?? ''}`).join('; ') : err.message;
}

/** API keys for published endpoints: create (the secret is shown once), scope to flows, rate limit, revoke. */
export function KeysPage() {
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [flows, setFlows] = useState<FlowSummary[]>([]);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<string[]>([]);
  const [rateLimit, setRateLimit] = useState('');
  /** A secret key (servers) or a browser key (a web page: one flow, its origins only). */
  const [kind, setKind] = useState<'secret' | 'browser'>('secret');
  const [origins, setOrigins] = useState('');
  const [secret, setSecret] = useState<{ name: string; key: string; kind: ApiKey['kind'] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useDocumentTitle('API keys');

  const reload = useCallback(async () => {
    const [list, allFlows] = await Promise.all([publishApi.keys(), api.flows()]);
    setKeys(list);
    setFlows(allFlows);
  }, []);

  useEffect(() => {
    reload().catch((err: unknown) => setError(String(err instanceof Error ? err.message : err)));
  }, [reload]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const created = await publishApi.createKey({
        name: name.trim(),
        ...(scope.length > 0 && { flows: scope }),
        ...(rateLimit.trim() !== '' && { rateLimit: Number(rateLimit) }),
        ...(kind === 'browser' && {
          kind,
          origins: parseOrigins(origins),
        }),
      });
      setSecret({ name: created.name, key: created.key, kind: created.kind });
      setName('');
      setScope([]);
      setRateLimit('');
      setOrigins('');
      await reload();
    } catch (err) {
      setError(describeKeyError(err));
    }
  };

  const revoke = async (key: ApiKey) => {
    if (!window.confirm(`Revoke “${key.name}”? Calls with it fail at once.`)) return;
    try {
      await publishApi.revokeKey(key.id);
      await reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const toggleScope = (flowId: string) =>
    setScope((s) => (s.includes(flowId) ? s.filter((id) => id !== flowId) : [...s, flowId]));

  return (
    <div className="flows-page" data-testid="keys-page">
      <header className="flows-header">
        <a className="brand" href="#/" aria-label="Flowloom: back to flows">
          <span className="brand-mark" aria-hidden />
          <span className="brand-name">Flowloom</span>
        </a>
        <span className="crumb-sep">/</span>
        <span className="keys-crumb">API keys</span>
        <span className="spacer" />
        <a className="btn btn-ghost" href="#/">
          ← Flows
        </a>
        <ThemeSwitch />
      </header>
      <main className="keys-main">
        <h1>API keys</h1>
        <p className="muted">
          Keys let programs call published flows (<code>Authorization: Bearer flk_…</code>). A key's secret is shown
          once, when it is created; the runtime keeps only a salted hash.
        </p>
        <form className="keys-form" onSubmit={create}>
          <Field id="key-name" label="Key name">
            <input
              id="key-name"
              className="input"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="e.g. website chat"
              required
              maxLength={100}
            />
          </Field>
          <Field id="key-rate" label="Requests per minute">
            <input
              id="key-rate"
              className="input"
              type="number"
              min={1}
              value={rateLimit}
              onChange={(e) => setRateLimit(e.target.value)}
              placeholder="default"
            />
          </Field>
          <fieldset className="keys-kind">
            <legend className="field-label">Used from</legend>
            <label>
              <input
                type="radio"
                name="key-kind"
                checked={kind === 'secret'}
                onChange={() => setKind('secret')}
                data-testid="key-kind-secret"
              />{' '}
              a server: a <strong>secret key</strong> (<code>flk_…</code>), never put in a web page
            </label>
            <label>
              <input
                type="radio"
                name="key-kind"
                checked={kind === 'browser'}
                onChange={() => setKind('browser')}
                data-testid="key-kind-browser"
              />{' '}
              a web page (the chat widget): a <strong>browser key</strong> (<code>flk_pub_…</code>), one flow, only from
              the origins below
            </label>
          </fieldset>
          {kind === 'browser' ? (
            <Field
              id="key-origins"
              label="Pages that use it (origins)"
              help="One per line: https://shop.example"
              className="keys-origins"
            >
              <textarea
                id="key-origins"
                className="input textarea mono"
                rows={2}
                value={origins}
                onChange={(e) => setOrigins(e.target.value)}
                placeholder="https://shop.example"
              />
            </Field>
          ) : null}
          <fieldset className="keys-scope">
            <legend className="field-label">
              {kind === 'browser' ? 'The one flow it may run' : 'Flows it may call (none checked: every flow)'}
            </legend>
            <div className="keys-scope-list">
              {flows.map((flow) => (
                <label key={flow.id} className="keys-flow">
                  <input type="checkbox" checked={scope.includes(flow.id)} onChange={() => toggleScope(flow.id)} />
                  {flow.id}
                </label>
              ))}
            </div>
          </fieldset>
          <div className="keys-form-actions">
            <button type="submit" className="btn btn-primary" disabled={name.trim() === ''} data-testid="create-key">
              Create key
            </button>
          </div>
        </form>
        {secret && (
          <div className="keys-secret" role="status" data-testid="key-secret">
            <p>
              {secret.kind === 'browser'
                ? `Copy the browser key “${secret.name}” now (it will not be shown again) and put it in your page: it works only there.`
                : `Copy the secret of “${secret.name}” now: it will not be shown again. Keep it on your server.`}
            </p>
            <code>{secret.key}</code>{' '}
            <button
              type="button"
              className="btn btn-sm"
              onClick={() => void navigator.clipboard?.writeText(secret.key)}
            >
              Copy
            </button>{' '}
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
        )}
        {error && (
          <div role="alert" className="callout callout-error">
            {error}
          </div>
        )}
        <table className="publish-versions" data-testid="keys-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Key</th>
              <th>Kind</th>
              <th>Flows</th>
              <th>Limit</th>
              <th>Created</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id} data-testid={`key-${key.id}`}>
                <td>{key.name}</td>
                <td>
                  <code>{key.preview}</code>
                </td>
                <td>{key.kind === 'browser' ? `browser: ${key.origins.join(', ')}` : 'secret'}</td>
                <td>{key.flows.length === 0 ? 'all' : key.flows.join(', ')}</td>
                <td>{key.rateLimit === null ? 'default' : `${key.rateLimit}/min`}</td>
                <td className="muted">{timeAgo(key.createdAt)}</td>
                <td className="muted">{key.lastUsedAt ? timeAgo(key.lastUsedAt) : 'never'}</td>
                <td>
                  {key.revokedAt ? (
                    <span className="muted">revoked</span>
                  ) : (
                    <button
                      type="button"
                      className="btn btn-ghost btn-sm"
                      onClick={() => revoke(key)}
                      data-testid={`revoke-${key.id}`}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </main>
    </div>
  );
}
