import { api } from '../../api/http';
import { usePins } from '../../pins/pin-store';
import { Modal } from '../../ui/Modal';
import { errorMessage, type FlowDialogProps, toast } from './flow-actions';

/** Asks before deleting a flow; `onDone` follows the attempt, whatever came of it (a failure is toasted). */
export function DeleteDialog({ flow, onClose, onDone }: FlowDialogProps) {
  return (
    <Modal
      title="Delete flow?"
      onClose={onClose}
      testId="delete-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-danger"
            data-testid="confirm-delete"
            onClick={async () => {
              try {
                await api.deleteFlow(flow.id);
                // Its pinned outputs, kept in this browser, go with it (a new flow may take the same id).
                usePins.getState().forgetFlow(flow.id);
                toast('success', `Deleted “${flow.name}”`);
              } catch (err) {
                toast('error', errorMessage(err));
              }
              onDone();
            }}
          >
            Delete
          </button>
        </>
      }
    >
      <p>
        “{flow.name}” (<code>{flow.id}</code>) and its draft will be deleted. This cannot be undone.
      </p>
    </Modal>
  );
}
