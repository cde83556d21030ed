import { Modal } from '../../ui/Modal';
import type { ImportProblem } from './flow-actions';

/** Why a file was not imported (nothing was stored). */
export function ImportProblemsDialog({
  fileName,
  problems,
  onClose,
}: {
  fileName: string;
  problems: ImportProblem[];
  onClose: () => void;
}) {
  return (
    <Modal
      title={`Cannot import ${fileName}`}
      onClose={onClose}
      testId="import-problems"
      footer={
        <button type="button" className="btn" onClick={onClose}>
          Close
        </button>
      }
    >
      <p className="muted">Nothing was saved. Fix these problems and import again:</p>
      <ul className="problem-list">
        {problems.map((p) => (
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
  );
}
