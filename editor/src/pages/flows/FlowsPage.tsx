import { type ChangeEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, type FlowSummary, type TemplateSummary } from '../../api/http';
import { Icon } from '../../ui/icons';
import { navigate } from '../../ui/router';
import { useDocumentTitle } from '../../ui/use-document-title';
import { CreateDialog } from './CreateDialog';
import { DeleteDialog } from './DeleteDialog';
import { FlowCard } from './FlowCard';
import type { ImportProblem } from './flow-actions';
import { duplicateFlow, errorMessage, exportFlow, importFlowFile, toast } from './flow-actions';
import { ImportProblemsDialog } from './ImportProblemsDialog';
import { RenameDialog } from './RenameDialog';
import '../../ui/page.css';
import { ThemeSwitch } from '../../ui/ThemeSwitch';
import './flows-page.css';

type Dialog =
  | { kind: 'create'; template?: TemplateSummary }
  | { kind: 'rename'; flow: FlowSummary }
  | { kind: 'delete'; flow: FlowSummary }
  | { kind: 'import-problems'; fileName: string; problems: ImportProblem[] }
  | null;

/** The flows page: list with search, create (blank or template), rename, duplicate, delete, import, export. */
export function FlowsPage() {
  const { flows, templates, loadError, refresh } = useFlowList();
  const [query, setQuery] = useState('');
  const [dialog, setDialog] = useState<Dialog>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  useDocumentTitle('Flows');

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
      const name = await duplicateFlow(summary, taken);
      toast('success', `Duplicated as “${name}”`);
      refresh();
    } catch (err) {
      toast('error', errorMessage(err));
    }
  };

  const exportOne = async (summary: FlowSummary) => {
    try {
      await exportFlow(summary);
    } catch (err) {
      toast('error', errorMessage(err));
    }
  };

  const importFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    const outcome = await importFlowFile(file, taken);
    if ('problems' in outcome) {
      setDialog({ kind: 'import-problems', fileName: file.name, problems: outcome.problems });
      return;
    }
    toast('success', `Imported “${outcome.flow.name}”`);
    refresh();
  };

  const closeAndRefresh = () => {
    setDialog(null);
    refresh();
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
        <a className="btn btn-ghost" href="#/datasets" data-testid="datasets-link">
          Datasets
        </a>
        <a className="btn btn-ghost" href="#/experiments" data-testid="experiments-link">
          Experiments
        </a>
        <a className="btn btn-ghost" href="#/monitoring" data-testid="monitoring-link">
          Monitoring
        </a>
        <a className="btn btn-ghost" href="#/knowledge" data-testid="knowledge-link">
          Knowledge
        </a>
        <a className="btn btn-ghost" href="#/keys" data-testid="keys-link">
          API keys
        </a>
        <a className="btn btn-ghost" href="#/settings" data-testid="settings-link">
          Settings
        </a>
        <ThemeSwitch />
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
              onExport={() => void exportOne(flow)}
              onDelete={() => setDialog({ kind: 'delete', flow })}
            />
          ))}
          {flows && flows.length > 0 && visible.length === 0 ? (
            <div className="muted">No flow matches “{query}”.</div>
          ) : null}
        </div>
        <Templates templates={templates} onPick={(template) => setDialog({ kind: 'create', template })} />
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
        <RenameDialog flow={dialog.flow} onClose={() => setDialog(null)} onDone={closeAndRefresh} />
      ) : null}
      {dialog?.kind === 'delete' ? (
        <DeleteDialog flow={dialog.flow} onClose={() => setDialog(null)} onDone={closeAndRefresh} />
      ) : null}
      {dialog?.kind === 'import-problems' ? (
        <ImportProblemsDialog fileName={dialog.fileName} problems={dialog.problems} onClose={() => setDialog(null)} />
      ) : null}
    </div>
  );
}

/** The stored flows (null while loading) and the templates; `refresh` reloads the flows. */
function useFlowList() {
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  const [templates, setTemplates] = useState<TemplateSummary[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
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
  }, [refresh]);
  return { flows, templates, loadError, refresh };
}

function Templates({
  templates,
  onPick,
}: {
  templates: readonly TemplateSummary[];
  onPick: (template: TemplateSummary) => void;
}) {
  if (templates.length === 0) return null;
  return (
    <section className="templates">
      <h2>Start from a template</h2>
      <div className="template-grid">
        {templates.map((t) => (
          <button
            type="button"
            key={t.id}
            className="template-card"
            onClick={() => onPick(t)}
            data-testid={`template-${t.id}`}
          >
            <span className="template-name">{t.name}</span>
            <span className="muted small">{t.description ?? ''}</span>
            <span className="template-meta">{(t.tags ?? []).join(' · ') || 'template'}</span>
          </button>
        ))}
      </div>
    </section>
  );
}
