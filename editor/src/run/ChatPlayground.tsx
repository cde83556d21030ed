import { useCallback, useEffect } from 'react';
import { runFlow } from '../api/actions';
import { useEditor } from '../store/index';
import { toolNamesOf } from '../store/run-reducer';
import { selectChatShape, selectIsRunning } from '../store/selectors';
import { formatMs, pretty } from '../ui/format';
import { ChatComposer } from './ChatComposer';
import { ChatHead, ChatTurns } from './ChatTurns';
import { type Conversation, historyMessages, newSessionId, useChats } from './chat-store';
import './chat.css';

const NO_CONVERSATION: Conversation = { turns: [], sessionId: '', awaited: null };

/** What a chat answer is made of: a finished run, from the canvas or from its end event. */
interface Ended {
  status: string;
  outputs?: Record<string, unknown>;
  error?: { message: string };
  durationMs?: number | null;
}

/**
 * Chat with a chat flow (`chatShape`: a text input named question/message, one output, maybe a messages input for
 * the history); answers stream in.
 */
export function ChatPlayground() {
  const shape = useEditor(selectChatShape);
  const inputName = shape?.input ?? 'question';
  const outputName = shape?.output ?? 'answer';
  const historyInput = shape?.historyInput;
  // The node feeding the output streams the answer; its text shows while the run goes.
  const feederId = shape?.answerNodeId;
  const streamed = useEditor((s) => (feederId ? (s.nodeRuns[feederId]?.text ?? '') : ''));
  const run = useEditor((s) => s.run);
  const runId = useEditor((s) => s.runId);
  const isRunning = useEditor(selectIsRunning);
  // The conversation lives in its own store, by flow: leaving this tab (or the flow) and coming back keeps it.
  const flowId = useEditor((s) => s.meta?.id ?? '');
  const { turns, sessionId, awaited } = useChats((s) => s.byFlow[flowId]) ?? NO_CONVERSATION;
  // `awaited`: the message waiting for its answer, and the run it started once the run request answers. The canvas
  // may still show the previous run while the flow saves, and that run's answer is not this message's.
  const waiting = awaited !== null;
  const isOwnRun = awaited?.runId != null && awaited.runId === runId;
  const shownText = isOwnRun ? streamed : '';

  const addAnswer = useCallback(
    (text: string, isError: boolean, meta?: string, answeredBy?: string) => {
      // The tools the answering run called, from its trace when it is the one on the canvas.
      const s = useEditor.getState();
      const tools = answeredBy && s.runId === answeredBy ? toolNamesOf(s.spans, s.spanOrder) : [];
      useChats.getState().addTurn(flowId, {
        role: 'assistant',
        text,
        isError,
        meta,
        ...(answeredBy && { runId: answeredBy }),
        ...(tools.length > 0 && { tools }),
      });
    },
    [flowId],
  );
  const setAwaited = useCallback(
    (next: Conversation['awaited']) => useChats.getState().update(flowId, () => ({ awaited: next })),
    [flowId],
  );

  /** A finished run's answer (or its error) as a turn. */
  const answerWith = useCallback(
    (ended: Ended, answeredBy: string | undefined) => {
      const answer = ended.outputs?.[outputName];
      const isDone = ended.status === 'completed';
      const text = isDone ? (answer === undefined ? '' : pretty(answer)) : (ended.error?.message ?? ended.status);
      addAnswer(text, !isDone, formatMs(ended.durationMs ?? undefined), answeredBy);
    },
    [outputName, addAnswer],
  );

  // When the run this message started ends, its answer becomes a turn (a paused run has not ended: it is resumed from
  // the Paused panel over the canvas).
  useEffect(() => {
    if (!isOwnRun || run.status === 'running' || run.status === 'queued' || run.status === 'idle') return;
    if (run.status === 'paused') return;
    setAwaited(null);
    answerWith(run, runId ?? undefined);
  }, [isOwnRun, run, runId, answerWith, setAwaited]);

  /** Sends a message, unless a run goes or an answer is awaited. */
  const send = (text: string): boolean => {
    if (isRunning || waiting) return false;
    const chats = useChats.getState();
    const { sessionId, turns: earlier } = chats.ensure(flowId);
    const inputs: Record<string, unknown> = { [inputName]: text };
    // A flow with a history input gets the conversation so far, as the OpenAI-compatible face passes it.
    if (historyInput) inputs[historyInput] = historyMessages(earlier);
    chats.addTurn(flowId, { role: 'user', text });
    setAwaited({ runId: null });
    const onBegin = (id: string) => setAwaited({ runId: id });
    void runFlow(inputs, { sessionId, onBegin }).then((start) => {
      if (start.runId === null) {
        setAwaited(null);
        addAnswer(start.error, true);
        return;
      }
      // Still on the canvas: the effect above answers. The canvas moved on (a run replayed from history meanwhile):
      // answer from how the run ended, so the chat does not wait forever.
      if (useEditor.getState().runId === start.runId) return;
      setAwaited(null);
      answerWith(start.ended, start.runId);
    });
    return true;
  };

  const startOver = () => useChats.getState().update(flowId, () => ({ turns: [], sessionId: newSessionId() }));

  return (
    <div className="chat" data-testid="chat">
      {turns.length > 0 ? <ChatHead sessionId={sessionId} isWaiting={waiting} onStartOver={startOver} /> : null}
      <ChatTurns
        turns={turns}
        isWaiting={waiting}
        streamedText={shownText}
        inputName={inputName}
        outputName={outputName}
        historyInput={historyInput}
      />
      <ChatComposer isRunning={isRunning} onSend={send} />
    </div>
  );
}
