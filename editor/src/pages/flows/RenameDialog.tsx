import { type FormEvent, useState } from 'react';
import { api } from '../../api/http';
import { Modal } from '../../ui/Modal';
import { errorMessage, type FlowDialogProps } from './flow-actions';

/** Renames a flow; its id stays. */
export function RenameDialog({ flow, onClose, onDone }: FlowDialogProps) {
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
