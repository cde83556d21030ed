import { type FormEvent, useRef } from 'react';
import { cancelRun } from '../api/actions';
import { useEditor } from '../store/index';

/**
 * The message box: Enter sends (Shift+Enter is a new line), Stop cancels the run while one goes. `onSend` answers
 * whether the message was taken (then the box empties).
 */
export function ChatComposer({ isRunning, onSend }: { isRunning: boolean; onSend: (text: string) => boolean }) {
  // In the store, so a message half typed survives a visit to the inspector.
  const draft = useEditor((s) => s.runForm.chatDraft);
  const setRunForm = useEditor((s) => s.setRunForm);
  const setDraft = (chatDraft: string) => setRunForm({ chatDraft });
  const box = useRef<HTMLTextAreaElement>(null);
  const send = (e: FormEvent) => {
    e.preventDefault();
    const text = draft.trim();
    if (!text || !onSend(text)) return;
    setDraft('');
    // Sent from the button, which an empty box disables: the next message is typed here.
    box.current?.focus();
  };
  return (
    <form className="chat-form" onSubmit={send}>
      <textarea
        className="input chat-input"
        rows={2}
        placeholder="Send a message…  (Enter to send, Shift+Enter for a new line)"
        aria-label="Chat message"
        ref={box}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) send(e);
        }}
        data-testid="chat-input"
      />
      {isRunning ? (
        <button type="button" className="btn btn-danger" onClick={() => void cancelRun()} data-testid="chat-stop">
          Stop
        </button>
      ) : (
        // aria-disabled, not disabled: Stop turns back into this button when the run ends, and focus must stay on it.
        <button
          type="submit"
          className="btn btn-primary"
          aria-disabled={!draft.trim() || undefined}
          data-testid="chat-send"
        >
          Send
        </button>
      )}
    </form>
  );
}
