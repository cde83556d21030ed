import { useEffect, useRef } from 'react';
import { FeedbackBar } from '../feedback/FeedbackBar';
import { Icon } from '../ui/icons';
import type { Turn } from './chat-store';

/** The conversation's session, and "New chat" (a new session) unless an answer is awaited. */
export function ChatHead({
  sessionId,
  isWaiting,
  onStartOver,
}: {
  sessionId: string;
  isWaiting: boolean;
  onStartOver: () => void;
}) {
  return (
    <div className="chat-head">
      <span className="chat-session" title={`Session ${sessionId}: runs in this chat share chat memory`}>
        Session <code data-testid="chat-session">{sessionId}</code>
      </span>
      <button
        type="button"
        className="btn btn-ghost btn-sm"
        onClick={onStartOver}
        disabled={isWaiting}
        data-testid="chat-new"
      >
        New chat
      </button>
    </div>
  );
}

/** The turns, then the awaited answer as it streams in; kept scrolled to the newest. */
export function ChatTurns({
  turns,
  isWaiting,
  streamedText,
  inputName,
  outputName,
  historyInput,
}: {
  turns: readonly Turn[];
  isWaiting: boolean;
  /** The awaited answer's text so far. */
  streamedText: string;
  inputName: string;
  outputName: string;
  /** The flow's history input, which gets the conversation so far. */
  historyInput?: string;
}) {
  const list = useRef<HTMLDivElement>(null);
  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
  });
  return (
    // A log, as in the widget: new turns are read out; the streaming answer is read once whole (aria-busy).
    <div
      className="chat-list"
      ref={list}
      role="log"
      aria-live="polite"
      aria-label="Conversation"
      data-testid="chat-log"
    >
      {turns.length === 0 && !isWaiting ? (
        <div className="chat-empty">
          <div className="empty-icon" aria-hidden>
            <Icon name="chat" size={28} />
          </div>
          Ask something: each message runs the flow with <code>{inputName}</code> and shows <code>{outputName}</code>
          {historyInput ? (
            <>
              ; the conversation so far goes to <code>{historyInput}</code>
            </>
          ) : null}
          .
        </div>
      ) : null}
      {turns.map((turn) => (
        <div
          key={turn.id}
          className={`chat-msg chat-${turn.role}${turn.isError ? ' is-error' : ''}`}
          data-testid={`chat-message-${turn.role}`}
        >
          <div className="chat-bubble">{turn.text || <span className="muted">(empty answer)</span>}</div>
          {turn.tools ? (
            <div className="chat-tools" data-testid="chat-tools">
              <span aria-hidden>⚒</span> Used {turn.tools.length === 1 ? 'a tool' : `${turn.tools.length} tools`}:{' '}
              {turn.tools.map((name, i) => (
                <span key={name}>
                  {i > 0 ? ', ' : ''}
                  <code>{name}</code>
                </span>
              ))}
            </div>
          ) : null}
          {turn.meta ? <div className="chat-meta">{turn.meta}</div> : null}
          {turn.role === 'assistant' && turn.runId ? (
            <FeedbackBar runId={turn.runId} label="answer" testId="chat-feedback" />
          ) : null}
        </div>
      ))}
      {isWaiting ? (
        <div className="chat-msg chat-assistant is-streaming" aria-busy="true" data-testid="chat-streaming">
          <div className="chat-bubble">
            {streamedText || <span className="typing" role="status" aria-label="Waiting for the answer" />}
            {streamedText ? <span className="caret" aria-hidden /> : null}
          </div>
        </div>
      ) : null}
    </div>
  );
}
