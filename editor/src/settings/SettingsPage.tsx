import { type FormEvent, useEffect, useId, useState } from 'react';
import { HttpError } from '../api/http';
import { Field } from '../ui/Field';
import { PageHeader } from '../ui/PageHeader';
import { useDocumentTitle } from '../ui/use-document-title';
import { defaultLabel, type ModelProvider, type ProviderChange, settingsApi } from './api';
import { useProviders } from './providers-store';
import '../ui/page.css';
import '../ui/data-page.css';
import './settings.css';

/** An error as the page says it: each refused field with its reason. */
function errorText(err: unknown): string {
  if (!(err instanceof HttpError)) return err instanceof Error ? err.message : String(err);
  const details = Array.isArray(err.body.details) ? (err.body.details as { field?: string; message?: string }[]) : [];
  const fields = details.filter((d) => d.field);
  if (fields.length === 0) return err.message;
  const said = (d: { field?: string; message?: string }) => {
    if (d.field === 'body.baseURL') return 'Base URL: an http:// or https:// address, e.g. http://127.0.0.1:11434/v1';
    const label = ({ 'body.name': 'Name', 'body.apiKey': 'API key' } as Record<string, string>)[d.field ?? ''];
    return `${label ?? d.field}: ${d.message}`;
  };
  // A field refused for several reasons (a union) is said once.
  return [...new Set(fields.map(said))].join('; ');
}

/** Settings: the model providers (OpenAI and OpenAI-compatible servers) that llm nodes pick from. */
export function SettingsPage() {
  useDocumentTitle('Settings');
  const list = useProviders((s) => s.list);
  const fallback = useProviders((s) => s.fallback);
  const refresh = useProviders((s) => s.refresh);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <div className="flows-page" data-testid="settings-page">
      <PageHeader crumbs={[{ label: 'Settings' }]} />
      <main className="data-main settings">
        <h1>Settings</h1>
        <section aria-labelledby="providers-heading">
          <h2 id="providers-heading">Model providers</h2>
          <p className="muted">
            OpenAI, or any server that speaks its API (Ollama, vLLM, LM Studio, a gateway). An <code>llm</code> node
            picks one and a model from its list; nodes that pick none use the default. Keys are stored encrypted and
            never shown again.
          </p>
          <p data-testid="default-provider">
            <strong>{defaultLabel(fallback, list)}</strong>
            {fallback?.source === 'env' && fallback.baseURL ? (
              <span className="muted"> at {fallback.baseURL}</span>
            ) : null}
          </p>
          {list.length === 0 ? (
            <p className="muted">No provider added yet.</p>
          ) : (
            <ul className="provider-list" data-testid="provider-list">
              {list.map((provider) => (
                <ProviderRow key={provider.id} provider={provider} onChanged={refresh} />
              ))}
            </ul>
          )}
          <AddProvider onAdded={refresh} />
        </section>
      </main>
    </div>
  );
}

/** Name, server, key (masked), and the ways to test, change and remove it. */
function ProviderRow({ provider, onChanged }: { provider: ModelProvider; onChanged: () => Promise<void> }) {
  const [isEditing, setEditing] = useState(false);
  const [test, setTest] = useState<{ ok: boolean; text: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadModels = useProviders((s) => s.loadModels);

  const check = async () => {
    setTest({ ok: true, text: 'Asking for its models…' });
    try {
      const models = await loadModels(provider.id);
      setTest({
        ok: true,
        text: `${models.length} model${models.length === 1 ? '' : 's'}: ${models.slice(0, 6).join(', ')}${models.length > 6 ? '…' : ''}`,
      });
    } catch (err) {
      setTest({ ok: false, text: errorText(err) });
    }
  };
  const remove = async () => {
    if (!window.confirm(`Remove “${provider.name}”? Nodes that use it fail until they pick another.`)) return;
    try {
      await settingsApi.remove(provider.id);
      await onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <li className="provider" data-testid={`provider-${provider.id}`}>
      <div className="provider-head">
        <div>
          <h3>{provider.name}</h3>
          <span className="muted small">
            id <code>{provider.id}</code> · {provider.kind === 'openai' ? 'OpenAI' : provider.baseURL} · key{' '}
            <code data-testid="provider-key">{provider.apiKey.isSet ? provider.apiKey.preview : 'none'}</code>
          </span>
        </div>
        <span className="spacer" />
        <button type="button" className="btn btn-sm" onClick={() => void check()} data-testid="test-provider">
          List models
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-sm"
          aria-expanded={isEditing}
          onClick={() => setEditing(!isEditing)}
          data-testid="edit-provider"
        >
          Edit
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-sm danger"
          onClick={() => void remove()}
          aria-label={`Remove ${provider.name}`}
          data-testid="remove-provider"
        >
          Remove
        </button>
      </div>
      <div role="status">
        {test ? (
          <p className={test.ok ? 'small' : 'small field-error'} data-testid="provider-test">
            {test.text}
          </p>
        ) : null}
      </div>
      {error ? (
        <div role="alert" className="callout callout-error">
          {error}
        </div>
      ) : null}
      {isEditing ? (
        <EditProvider
          provider={provider}
          onDone={async () => {
            setEditing(false);
            await onChanged();
          }}
        />
      ) : null}
    </li>
  );
}

/** The provider form's fields: name, OpenAI or a compatible server (its base URL), a key. */
function ProviderFields({
  idBase,
  name,
  setName,
  isCompatible,
  setCompatible,
  baseURL,
  setBaseURL,
  apiKey,
  setApiKey,
  keyHelp,
}: {
  idBase: string;
  name: string;
  setName: (v: string) => void;
  isCompatible: boolean;
  setCompatible: (v: boolean) => void;
  baseURL: string;
  setBaseURL: (v: string) => void;
  apiKey: string;
  setApiKey: (v: string) => void;
  keyHelp: string;
}) {
  return (
    <>
      <Field id={`${idBase}-name`} label="Name">
        <input
          id={`${idBase}-name`}
          className="input"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. Local Ollama"
          maxLength={100}
          data-testid="provider-name"
        />
      </Field>
      <fieldset className="provider-kind">
        <legend className="field-label">Server</legend>
        <label>
          <input
            type="radio"
            name={`${idBase}-kind`}
            checked={!isCompatible}
            onChange={() => setCompatible(false)}
            data-testid="provider-kind-openai"
          />{' '}
          OpenAI
        </label>
        <label>
          <input
            type="radio"
            name={`${idBase}-kind`}
            checked={isCompatible}
            onChange={() => setCompatible(true)}
            data-testid="provider-kind-compatible"
          />{' '}
          An OpenAI-compatible server
        </label>
      </fieldset>
      {isCompatible ? (
        <Field id={`${idBase}-url`} label="Base URL" help="Where its API answers, e.g. http://127.0.0.1:11434/v1">
          <input
            id={`${idBase}-url`}
            className="input"
            value={baseURL}
            onChange={(e) => setBaseURL(e.target.value)}
            placeholder="http://127.0.0.1:11434/v1"
            data-testid="provider-url"
          />
        </Field>
      ) : null}
      <Field id={`${idBase}-key`} label="API key" help={keyHelp}>
        <input
          id={`${idBase}-key`}
          className="input"
          type="password"
          autoComplete="off"
          value={apiKey}
          onChange={(e) => setApiKey(e.target.value)}
          data-testid="provider-api-key"
        />
      </Field>
    </>
  );
}

function AddProvider({ onAdded }: { onAdded: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [isCompatible, setCompatible] = useState(true);
  const [baseURL, setBaseURL] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const idBase = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setAdded(null);
    try {
      const created = await settingsApi.create({
        name: name.trim(),
        ...(isCompatible && { baseURL: baseURL.trim() }),
        ...(apiKey && { apiKey }),
      });
      // The key leaves the page: only its masked form is shown from now on.
      setName('');
      setBaseURL('');
      setApiKey('');
      setAdded(created.name);
      await onAdded();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <form className="data-form provider-form" onSubmit={submit} aria-labelledby={`${idBase}-title`}>
      <h3 id={`${idBase}-title`}>Add a provider</h3>
      <ProviderFields
        idBase={idBase}
        name={name}
        setName={setName}
        isCompatible={isCompatible}
        setCompatible={setCompatible}
        baseURL={baseURL}
        setBaseURL={setBaseURL}
        apiKey={apiKey}
        setApiKey={setApiKey}
        keyHelp={isCompatible ? 'If the server needs one. Stored encrypted.' : 'Stored encrypted, never shown again.'}
      />
      <div className="provider-actions">
        <button
          type="submit"
          className="btn btn-primary"
          aria-disabled={name.trim() === '' || undefined}
          data-testid="add-provider"
        >
          Add provider
        </button>
        <div role="status">
          {added ? (
            <span className="publish-ok" data-testid="provider-added">
              Added “{added}”.
            </span>
          ) : null}
        </div>
      </div>
      {error ? (
        <div role="alert" className="callout callout-error provider-error" data-testid="provider-error">
          {error}
        </div>
      ) : null}
    </form>
  );
}

function EditProvider({ provider, onDone }: { provider: ModelProvider; onDone: () => Promise<void> }) {
  const [name, setName] = useState(provider.name);
  const [isCompatible, setCompatible] = useState(provider.kind === 'compatible');
  const [baseURL, setBaseURL] = useState(provider.baseURL ?? '');
  const [apiKey, setApiKey] = useState('');
  const [isKeyCleared, setKeyCleared] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const idBase = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const change: ProviderChange = {
      name: name.trim(),
      baseURL: isCompatible ? baseURL.trim() : null,
      // Empty keeps the stored key (it is never sent back to be shown).
      ...(apiKey ? { apiKey } : isKeyCleared ? { apiKey: null } : {}),
    };
    try {
      await settingsApi.update(provider.id, change);
      await onDone();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <form className="data-form provider-form" onSubmit={submit} aria-label={`Edit ${provider.name}`}>
      <ProviderFields
        idBase={idBase}
        name={name}
        setName={setName}
        isCompatible={isCompatible}
        setCompatible={setCompatible}
        baseURL={baseURL}
        setBaseURL={setBaseURL}
        apiKey={apiKey}
        setApiKey={setApiKey}
        keyHelp={provider.apiKey.isSet ? `Leave empty to keep ${provider.apiKey.preview}.` : 'None stored.'}
      />
      {provider.apiKey.isSet ? (
        <label className="provider-clear">
          <input type="checkbox" checked={isKeyCleared} onChange={(e) => setKeyCleared(e.target.checked)} /> Remove the
          stored key
        </label>
      ) : null}
      <div className="provider-actions">
        <button type="submit" className="btn btn-primary" data-testid="save-provider">
          Save
        </button>
      </div>
      {error ? (
        <div role="alert" className="callout callout-error provider-error">
          {error}
        </div>
      ) : null}
    </form>
  );
}
