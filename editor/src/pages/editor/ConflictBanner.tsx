import { reloadFlow, saveNow } from '../../api/actions';
import { useEditor } from '../../store/index';

/** Shown when a save met a newer draft saved elsewhere: the user picks which version stays, never silently. */
export function ConflictBanner() {
  const isConflict = useEditor((s) => s.saveConflict);
  if (!isConflict) return null;
  return (
    <div className="conflict-banner" role="alert" data-testid="conflict-banner">
      <strong>This flow was changed elsewhere.</strong> Your edits are not saved. Keep which version?
      <span className="spacer" />
      <button type="button" className="btn btn-sm" onClick={() => void reloadFlow()} data-testid="conflict-reload">
        Reload theirs
      </button>
      <button
        type="button"
        className="btn btn-sm btn-danger"
        onClick={() => void saveNow({ overwrite: true })}
        data-testid="conflict-overwrite"
      >
        Overwrite with mine
      </button>
    </div>
  );
}
