import { useEffect, useId, useState } from 'react';
import { AddToDataset } from '../datasets/AddToDataset';
import { Icon } from '../ui/icons';
import { editorFeedbackId, feedbackApi } from './api';
import './feedback.css';

/**
 * Thumbs up and down on a run (or one node of it), a comment and a correction. Each bar keeps one feedback id, so
 * the other thumb replaces the first and the same thumb again withdraws it (`score: null`). Once a correction is
 * saved, "Add correction to dataset" makes it a dataset item in one click.
 */
export function FeedbackBar({
  runId,
  nodeId,
  label,
  testId = 'feedback',
}: {
  runId: string;
  nodeId?: string;
  /** What is rated, for screen readers ("answer", "span llm"). */
  label: string;
  testId?: string;
}) {
  const feedbackId = editorFeedbackId(nodeId);
  const [score, setScore] = useState<number | null>(null);
  const [isOpen, setOpen] = useState(false);
  const [comment, setComment] = useState('');
  const [correction, setCorrection] = useState('');
  const [savedCorrection, setSavedCorrection] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** What the last change was, for screen readers (a withdrawal too). */
  const [announcement, setAnnouncement] = useState('');
  const formId = useId();

  // Feedback given before (in the chat, in history) shows as it was.
  useEffect(() => {
    let isCurrent = true;
    feedbackApi
      .list(runId)
      .then((list) => {
        const mine = list.find((f) => f.id === feedbackId);
        if (!isCurrent || !mine) return;
        setScore(mine.score);
        setComment(mine.comment ?? '');
        if (typeof mine.correction === 'string') setCorrection(mine.correction);
      })
      .catch(() => {});
    return () => {
      isCurrent = false;
    };
  }, [runId, feedbackId]);

  const send = async (next: number | null, extra: { comment?: string; correction?: string } = {}) => {
    setError(null);
    try {
      await feedbackApi.give(runId, {
        id: feedbackId,
        score: next,
        ...(nodeId && { nodeId }),
        ...(extra.comment ? { comment: extra.comment } : {}),
        ...(extra.correction ? { correction: extra.correction } : {}),
      });
      setScore(next);
      setAnnouncement(next === null ? 'Rating withdrawn' : `Rated ${next > 0 ? 'good' : 'bad'}`);
      return true;
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      return false;
    }
  };

  const thumb = (value: 1 | -1) => void send(score === value ? null : value, { comment, correction });

  const save = async () => {
    // A comment or correction without a thumb counts as a thumb down: something was wrong.
    const isSaved = await send(score ?? -1, { comment, correction });
    if (isSaved && correction.trim() !== '') setSavedCorrection(true);
  };

  return (
    <div className="feedback" data-testid={testId}>
      <div className="feedback-row">
        <button
          type="button"
          className="btn btn-ghost btn-sm feedback-thumb"
          aria-pressed={score === 1}
          aria-label={`Good ${label}`}
          title="Good"
          onClick={() => thumb(1)}
          data-testid={`${testId}-up`}
        >
          <Icon name="thumbUp" size={15} />
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-sm feedback-thumb"
          aria-pressed={score === -1}
          aria-label={`Bad ${label}`}
          title="Bad"
          onClick={() => thumb(-1)}
          data-testid={`${testId}-down`}
        >
          <Icon name="thumbDown" size={15} />
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-sm"
          aria-expanded={isOpen}
          aria-controls={formId}
          onClick={() => setOpen((open) => !open)}
          data-testid={`${testId}-comment`}
        >
          Comment
        </button>
        {/* Always there, so screen readers announce each change, a withdrawal included. */}
        <span className="sr-only" role="status" data-testid={`${testId}-status`}>
          {announcement}
        </span>
      </div>
      {isOpen ? (
        <form
          id={formId}
          className="feedback-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <label className="field-label" htmlFor={`${formId}-comment`}>
            Comment
          </label>
          <textarea
            id={`${formId}-comment`}
            className="input"
            rows={2}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            data-testid={`${testId}-comment-text`}
          />
          <label className="field-label" htmlFor={`${formId}-correction`}>
            Correction (what the answer should have been)
          </label>
          <textarea
            id={`${formId}-correction`}
            className="input"
            rows={2}
            value={correction}
            onChange={(e) => setCorrection(e.target.value)}
            data-testid={`${testId}-correction`}
          />
          <div className="feedback-actions">
            <button type="submit" className="btn btn-sm btn-primary" data-testid={`${testId}-save`}>
              Save feedback
            </button>
          </div>
          {savedCorrection ? (
            <AddToDataset runId={runId} nodeId={nodeId} expected="correction" testId={`${testId}-to-dataset`} />
          ) : null}
        </form>
      ) : null}
      {error ? (
        <div role="alert" className="feedback-error small">
          {error}
        </div>
      ) : null}
    </div>
  );
}
