import { useEffect, useState } from 'react';
import { saveNow } from '../api/actions';
import { useEditor } from '../store/index';
import { publishApi } from './api';
import { PublishDialog } from './PublishDialog';

/** The editor's top-bar "Publish" button, with the live version beside it, and its dialog. */
export function PublishButton() {
  const flowId = useEditor((s) => s.meta?.id);
  const [isOpen, setOpen] = useState(false);
  const [live, setLive] = useState<number | null>(null);
  // The live version, read when the flow opens and again when the dialog closes (it may have published).
  useEffect(() => {
    if (!flowId || isOpen) return;
    let isCurrent = true;
    publishApi
      .versions(flowId)
      .then((list) => {
        if (isCurrent) setLive(list.versions[0]?.version ?? null);
      })
      .catch(() => {
        if (isCurrent) setLive(null);
      });
    return () => {
      isCurrent = false;
    };
  }, [flowId, isOpen]);
  if (!flowId) return null;
  return (
    <>
      <button
        type="button"
        className="btn publish-button"
        onClick={() => setOpen(true)}
        title={live === null ? 'Publish as an API endpoint' : `v${live} is live: publish a new version`}
        data-testid="publish-button"
      >
        Publish
        {live !== null ? (
          <span className="live-version" data-testid="live-version">
            v{live} live
          </span>
        ) : null}
      </button>
      {isOpen && <PublishDialog flowId={flowId} onClose={() => setOpen(false)} beforePublish={saveNow} />}
    </>
  );
}
