import { FLOW_FORMAT, type FlowFile, serializeFlow } from '@flowloom/nodes/spec';
import { type ChangeEvent, type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { download } from '../../api/actions';
import { api, type FlowSummary, HttpError, type TemplateSummary } from '../../api/http';
import { isFlowLike, slugify } from '../../store/graph-ops';
import { useEditor } from '../../store/index';
import type { Problem } from '../../store/ui-slice';
import { timeAgo } from '../../ui/format';
import { Icon } from '../../ui/icons';
import { Modal } from '../../ui/Modal';
import { navigate } from '../../ui/router';

type Dialog =
  | { kind: 'create'; template?: TemplateSummary }
  | { kind: 'rename'; flow: FlowSummary }
  | { kind: 'delete'; flow: FlowSummary }
  | { kind: 'import-problems'; fileName: string; problems: Problem[] }
  | null;

function toast(kind: 'info' | 'error' | 'success', message: string) {
  useEditor.getState().toast(kind, message);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A free flow id from a name: the slug, or the slug with -2, -3… */
export function freeFlowId(name: string, taken: ReadonlySet<string>): string {
  const base = slugify(name) || 'flow';
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    const id = `${base.slice(0, 58)}-${i}`;
    if (!taken.has(id)) return id;
  }
}

/** The flows page: list with search, create (blank or template), rename, duplicate, delete, import, export. */
export function FlowsPage() {
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  const [templates, setTemplates] = useState<TemplateSummary[]>([]);
  const [query, setQuery] = useState('');
  const [dialog, setDialog] = useState<Dialog>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const refresh = useCallback(() => {
    api
      .flows()
      .then((list) => {
        setFlows(list);
        setLoadError(null);
      })
      .catch((err) => setLoadError(errorMessage(err)));
  }, []);
  useEffect(() => {
    refresh();
    api.templates().then(setTemplates, () => setTemplates([]));
    document.title = 'Flows · Flowloom';
  }, [refresh]);

  const taken = useMemo(() => new Set((flows ?? []).map((f) => f.id)), [flows]);
  const visible = useMemo(() => {
    const q = query.trim().toLowerCase();
    const list = [...(flows ?? [])].sort((a, b) => (b.updatedAt ?? '').localeCompare(a.updatedAt ?? ''));
    return q
      ? list.filter((f) =>
          `${f.name} ${f.id} ${f.description ?? ''} ${(f.tags ?? []).join(' ')}`.toLowerCase().includes(q),
        )
      : list;
  }, [flows, query]);

  const duplicate = async (summary: FlowSummary) => {
    try {
      const flow = await api.flow(summary.id);
      const name = `${flow.name} (copy)`;
      const copy: FlowFile = { ...flow, id: freeFlowId(name, taken), name };
      delete copy.version;
      await api.createFlow(copy);
      toast('success', `Duplicated as “${name}”`);
      refresh();
    } catch (err) {
      toast('error', errorMessage(err));
    }
  };

  const exportFlow = async (summary: FlowSummary) => {
    try {
      download(`${summary.id}.flow.json`, serializeFlow(await api.flow(summary.id)));
    } catch (err) {
      toast('error', errorMessage(err));
    }
  };

  const importFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await file.text());
    } catch (err) {
      setDialog({
        kind: 'import-problems',
        fileName: file.name,
        problems: [{ message: `Not JSON: ${errorMessage(err)}` }],
      });
      return;
    }
    if (!isFlowLike(parsed)) {
      setDialog({
        kind: 'import-problems',
        fileName: file.name,
        problems: [{ message: `Not a flow file: "format" must be "${FLOW_FORMAT}", with "nodes" and "edges" arrays.` }],
      });
      return;
    }
    const flow: FlowFile = { ...parsed };
    delete flow.version;
    if (!flow.id || taken.has(flow.id)) flow.id = freeFlowId(flow.name || file.name.replace(/\..*$/, ''), taken);
    try {
      const result = await api.validate(flow);
      if (!result.ok) {
        setDialog({ kind: 'import-problems', fileName: file.name, problems: result.problems });
        return;
      }
      await api.createFlow(flow);
      toast('success', `Imported “${flow.name}”`);
      refresh();
    } catch (err) {
      const details = err instanceof HttpError ? (err.body.details as Problem[] | undefined) : undefined;
      setDialog({
        kind: 'import-problems',
        fileName: file.name,
        problems: details?.length
          ? details.map((d) => ({ ...d, message: d.message ?? String(d) }))
          : [{ message: errorMessage(err) }],
      });
    }
  };

  return (
    <div className="flows-page">
      <header className="flows-header">
        <div className="brand">
          <span className="brand-mark" aria-hidden />
          <span className="brand-name">Flowloom</span>
        </div>
        <span className="spacer" />
        <input
          ref={fileInput}
          type="file"
          accept=".json,application/json"
          hidden
          onChange={importFile}
          data-testid="import-input"
        />
        <a className="btn btn-ghost" href="#/keys" data-testid="keys-link">
          API keys
        </a>
        <button type="button" className="btn" onClick={() => fileInput.current?.click()} data-testid="import-button">
          Import
        </button>
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => setDialog({ kind: 'create' })}
          data-testid="new-flow"
        >
          + New flow
        </button>
      </header>
      <main className="flows-main">
        <div className="flows-toolbar">
          <div>
            <h1>Flows</h1>
            <p className="muted">Build, run and debug LLM apps as graphs.</p>
          </div>
          <span className="spacer" />
          <input
            className="input search"
            type="search"
            placeholder="Search flows…"
            aria-label="Search flows"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            data-testid="flow-search"
          />
        </div>
        {loadError ? <div className="callout callout-error">Cannot load flows: {loadError}</div> : null}
        <div className="flow-grid" data-testid="flow-list">
          {flows === null && !loadError ? <div className="muted">Loading…</div> : null}
          {flows?.length === 0 ? (
            <div className="empty-card">
              <div className="empty-icon" aria-hidden>
                <Icon name="models" size={28} />
              </div>
              <h3>No flows yet</h3>
              <p className="muted">Start blank or from a template below.</p>
              <button type="button" className="btn btn-primary" onClick={() => setDialog({ kind: 'create' })}>
                Create your first flow
              </button>
            </div>
          ) : null}
          {visible.map((flow) => (
            <FlowCard
              key={flow.id}
              flow={flow}
              onRename={() => setDialog({ kind: 'rename', flow })}
              onDuplicate={() => void duplicate(flow)}
              onExport={() => void exportFlow(flow)}
              onDelete={() => setDialog({ kind: 'delete', flow })}
            />
          ))}
          {flows && flows.length > 0 && visible.length === 0 ? (
            <div className="muted">No flow matches “{query}”.</div>
          ) : null}
        </div>
        {templates.length > 0 ? (
          <section className="templates">
            <h2>Start from a template</h2>
            <div className="template-grid">
              {templates.map((t) => (
                <button
                  type="button"
                  key={t.id}
                  className="template-card"
                  onClick={() => setDialog({ kind: 'create', template: t })}
                  data-testid={`template-${t.id}`}
                >
                  <span className="template-name">{t.name}</span>
                  <span className="muted small">{t.description ?? ''}</span>
                  <span className="template-meta">{(t.tags ?? []).join(' · ') || 'template'}</span>
                </button>
              ))}
            </div>
          </section>
        ) : null}
      </main>
      {dialog?.kind === 'create' ? (
        <CreateDialog
          template={dialog.template}
          templates={templates}
          taken={taken}
          onClose={() => setDialog(null)}
          onCreated={(id) => navigate({ page: 'editor', flowId: id })}
        />
      ) : null}
      {dialog?.kind === 'rename' ? (
        <RenameDialog
          flow={dialog.flow}
          onClose={() => setDialog(null)}
          onDone={() => {
            setDialog(null);
            refresh();
          }}
        />
      ) : null}
      {dialog?.kind === 'delete' ? (
        <Modal
          title="Delete flow?"
          onClose={() => setDialog(null)}
          testId="delete-dialog"
          footer={
            <>
              <button type="button" className="btn" onClick={() => setDialog(null)}>
                Cancel
              </button>
              <button
                type="button"
                className="btn btn-danger"
                data-testid="confirm-delete"
                onClick={async () => {
                  try {
                    await api.deleteFlow(dialog.flow.id);
                    toast('success', `Deleted “${dialog.flow.name}”`);
                  } catch (err) {
                    toast('error', errorMessage(err));
                  }
                  setDialog(null);
                  refresh();
                }}
              >
                Delete
              </button>
            </>
          }
        >
          <p>
            “{dialog.flow.name}” (<code>{dialog.flow.id}</code>) and its draft will be deleted. This cannot be undone.
          </p>
        </Modal>
      ) : null}
      {dialog?.kind === 'import-problems' ? (
        <Modal
          title={`Cannot import ${dialog.fileName}`}
          onClose={() => setDialog(null)}
          testId="import-problems"
          footer={
            <button type="button" className="btn" onClick={() => setDialog(null)}>
              Close
            </button>
          }
        >
          <p className="muted">Nothing was saved. Fix these problems and import again:</p>
          <ul className="problem-list">
            {dialog.problems.map((p) => (
              <li key={`${p.nodeId}-${p.port}-${p.message}`}>
                {p.nodeId ? (
                  <code>
                    {p.nodeId}
                    {p.port ? `.${p.port}` : ''}
                  </code>
                ) : null}{' '}
                {p.message}
              </li>
            ))}
          </ul>
        </Modal>
      ) : null}
    </div>
  );
}

interface CardProps {
  flow: FlowSummary;
  onRename: () => void;
  onDuplicate: () => void;
  onExport: () => void;
  onDelete: () => void;
}

function FlowCard({ flow, onRename, onDuplicate, onExport, onDelete }: CardProps) {
  const count = flow.nodeCount ?? flow.nodes?.length;
  return (
    <article className="flow-card" data-testid={`flow-card-${flow.id}`}>
      <a
        className="flow-card-main"
        href={`#/flows/${encodeURIComponent(flow.id)}`}
        data-testid={`open-flow-${flow.id}`}
      >
        <span className="flow-card-name">{flow.name}</span>
        <code className="flow-card-id">{flow.id}</code>
        <span className="flow-card-desc">{flow.description || 'No description'}</span>
        <span className="flow-card-meta">
          {[
            count !== undefined ? `${count} nodes` : '',
            flow.version ? `v${flow.version}` : '',
            timeAgo(flow.updatedAt),
          ]
            .filter(Boolean)
            .join(' · ')}
        </span>
      </a>
      <div className="flow-card-actions">
        <button type="button" className="btn btn-ghost btn-sm" onClick={onRename} data-testid={`rename-${flow.id}`}>
          Rename
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-sm"
          onClick={onDuplicate}
          data-testid={`duplicate-${flow.id}`}
        >
          Duplicate
        </button>
        <button type="button" className="btn btn-ghost btn-sm" onClick={onExport} data-testid={`export-${flow.id}`}>
          Export
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-sm danger"
          onClick={onDelete}
          data-testid={`delete-${flow.id}`}
        >
          Delete
        </button>
      </div>
    </article>
  );
}

function CreateDialog(props: {
  template?: TemplateSummary;
  templates: TemplateSummary[];
  taken: ReadonlySet<string>;
  onClose: () => void;
  onCreated: (id: string) => void;
}) {
  const [name, setName] = useState(props.template ? props.template.name : '');
  const [templateId, setTemplateId] = useState(props.template?.id ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = freeFlowId(name || 'untitled', props.taken);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const template = templateId ? await api.template(templateId) : null;
      const flow: FlowFile = template
        ? { ...template, id, name: name || template.name }
        : { format: FLOW_FORMAT, id, name: name || 'Untitled flow', nodes: [], edges: [] };
      delete flow.version;
      await api.createFlow(flow);
      props.onCreated(id);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  return (
    <Modal title="New flow" onClose={props.onClose} testId="create-dialog">
      <form onSubmit={submit} className="form-stack">
        <div className="field">
          <label className="field-label" htmlFor="new-flow-name">
            Name
          </label>
          <input
            id="new-flow-name"
            className="input"
            value={name}
            placeholder="Support bot"
            onChange={(e) => setName(e.target.value)}
            data-testid="new-flow-name"
          />
          <div className="field-help">
            Id: <code>{id}</code>
          </div>
        </div>
        <div className="field">
          <label className="field-label" htmlFor="new-flow-template">
            Start from
          </label>
          <select
            id="new-flow-template"
            className="input"
            value={templateId}
            onChange={(e) => setTemplateId(e.target.value)}
            data-testid="new-flow-template"
          >
            <option value="">Blank canvas</option>
            {props.templates.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        {error ? <div className="callout callout-error">{error}</div> : null}
        <div className="modal-foot inline">
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="create-flow">
            Create
          </button>
        </div>
      </form>
    </Modal>
  );
}

function RenameDialog({ flow, onClose, onDone }: { flow: FlowSummary; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState(flow.name);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const stored = await api.flow(flow.id);
      await api.saveFlow({ ...stored, name: name.trim() || stored.name });
      onDone();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <Modal title="Rename flow" onClose={onClose} testId="rename-dialog">
      <form onSubmit={submit} className="form-stack">
        <div className="field">
          <label className="field-label" htmlFor="rename-input">
            Name
          </label>
          <input
            id="rename-input"
            className="input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            data-testid="rename-input"
          />
          <div className="field-help">
            The id stays <code>{flow.id}</code>, so links and API clients keep working.
          </div>
        </div>
        {error ? <div className="callout callout-error">{error}</div> : null}
        <div className="modal-foot inline">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" data-testid="rename-save">
            Rename
          </button>
        </div>
      </form>
    </Modal>
  );
}
