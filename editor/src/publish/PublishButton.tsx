import { useState } from 'react';
import { saveNow } from '../api/actions';
import { useEditor } from '../store/index';
import { PublishDialog } from './PublishDialog';

/** The editor's top-bar "Publish" button and its dialog. */
export function PublishButton() {
  const flowId = useEditor((s) => s.meta?.id);
  const [isOpen, setOpen] = useState(false);
  if (!flowId) return null;
  return (
    <>
      <button
        type="button"
        className="btn"
        onClick={() => setOpen(true)}
        title="Publish as an API endpoint"
        data-testid="publish-button"
      >
        Publish
      </button>
      {isOpen && <PublishDialog flowId={flowId} onClose={() => setOpen(false)} beforePublish={saveNow} />}
    </>
  );
}
