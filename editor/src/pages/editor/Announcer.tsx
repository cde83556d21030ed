import { useEditor } from '../../store/index';
import { selectRunStatusText } from '../../store/selectors';

/**
 * What the editor tells screen readers without moving focus: the run's status as it changes, and one-off messages
 * (`announce`: a node added, a connection made or refused). Both are polite live regions, drawn for no one.
 */
export function Announcer() {
  const runStatus = useEditor(selectRunStatusText);
  const { id, text } = useEditor((s) => s.announcement);
  return (
    <>
      <div className="sr-only" role="status" data-testid="run-announcer">
        {runStatus}
      </div>
      <div className="sr-only" role="status" data-testid="announcer">
        {/* The same message twice in a row must still change the region to be read again. */}
        {text ? `${text}${id % 2 ? '\u00a0' : ''}` : ''}
      </div>
    </>
  );
}
