import { FLOW_FORMAT, type FlowFile } from '@flowloom/nodes/spec';
import { type FormEvent, useState } from 'react';
import { api, type TemplateSummary } from '../../api/http';
import { Modal } from '../../ui/Modal';
import { errorMessage, freeFlowId } from './flow-actions';

/** A new flow: a name (its id is derived, free), blank or from a template. */
export function CreateDialog(props: {
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
