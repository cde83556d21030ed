import { Modal } from '../ui/Modal';
import { CallSnippets } from './CallSnippets';
import { PublishForm } from './PublishForm';
import { usePublishing } from './use-publishing';
import { VersionList } from './VersionList';
import './publish.css';

/**
 * Publishing a flow: publish the draft (with CORS origins and a run time limit), the endpoint with ready snippets
 * using the flow's real inputs, and the version history with diffs and rollback.
 */
export function PublishDialog({
  flowId,
  onClose,
  beforePublish,
}: {
  flowId: string;
  onClose: () => void;
  /** Runs first (the editor saves pending edits, so what is published is what is on screen). */
  beforePublish?: () => Promise<unknown>;
}) {
  const publishing = usePublishing(flowId, beforePublish);
  const { versions, diff, isBusy, rollback, showDiff } = publishing;
  return (
    <Modal title={`Publish “${flowId}”`} onClose={onClose} testId="publish-dialog" wide>
      <div className="publish">
        <PublishForm publishing={publishing} />
        <CallSnippets
          flowId={flowId}
          inputs={publishing.inputs}
          chat={publishing.chat}
          last={publishing.last}
          origins={publishing.origins}
        />
        <VersionList
          versions={versions}
          diff={diff}
          isBusy={isBusy}
          onDiff={(from, to) => void showDiff(from, to)}
          onRollback={(version) => void rollback(version)}
        />
      </div>
    </Modal>
  );
}
