import type { ChatShape, FlowInputSpec, PublishAnswer } from '@flowloom/nodes/spec';
import { useState } from 'react';
import { TabList, TabPanel } from '../ui/Tabs';
import { BrowserKey } from './BrowserKey';
import { curlSnippet, javascriptSnippet, openaiSnippet, pythonSnippet, widgetSnippet } from './snippets';

type SnippetKind = 'curl' | 'javascript' | 'python' | 'openai' | 'widget';
const SNIPPET_LABEL: Record<SnippetKind, string> = {
  curl: 'curl',
  javascript: 'JavaScript',
  python: 'Python',
  openai: 'OpenAI SDK',
  widget: 'Chat widget',
};
const SNIPPETS = {
  curl: curlSnippet,
  javascript: javascriptSnippet,
  python: pythonSnippet,
  openai: openaiSnippet,
  widget: widgetSnippet,
} satisfies Record<SnippetKind, unknown>;

/** "Call it": the endpoint and ready snippets using the flow's real inputs (the OpenAI face for chat flows). */
export function CallSnippets({
  flowId,
  inputs,
  chat,
  last,
  origins,
}: {
  flowId: string;
  /** The publish form's allowed origins (the pages a browser key is offered for). */
  origins: readonly string[];
  inputs: FlowInputSpec[];
  /** The draft's chat face (`chatShape`), until a publish answer says what the published version has. */
  chat: ChatShape | null;
  /** The last publish answer, which says whether the published version has a chat face. */
  last: PublishAnswer | null;
}) {
  const [snippet, setSnippet] = useState<SnippetKind>('curl');
  /** A browser key made here for the widget: shown in its snippet. */
  const [browserKey, setBrowserKey] = useState<string | undefined>();
  const origin = window.location.origin;
  const isChat = (last ?? { chat }).chat !== null;
  const kinds: SnippetKind[] = isChat
    ? ['curl', 'javascript', 'python', 'openai', 'widget']
    : ['curl', 'javascript', 'python'];
  const code = SNIPPETS[snippet]({ origin, flowId, inputs, ...(snippet === 'widget' && { apiKey: browserKey }) });

  return (
    <section>
      <h3>Call it</h3>
      <p className="muted">
        Endpoint: <code data-testid="publish-endpoint">{`${origin}/api/v1/flows/${flowId}/run`}</code> with a secret API
        key (<code>flk_…</code>) from the <a href="#/keys">keys page</a>, kept on your server.
      </p>
      <TabList
        idBase="snippet"
        label="Snippet language"
        tabs={kinds.map((kind) => ({ id: kind, label: SNIPPET_LABEL[kind], testId: `snippet-tab-${kind}` }))}
        selected={snippet}
        onSelect={setSnippet}
        className="tabs"
      />
      {snippet === 'widget' ? (
        <BrowserKey flowId={flowId} suggestedOrigins={origins} onCreated={setBrowserKey} />
      ) : null}
      {/* Focusable: a long snippet scrolls sideways. */}
      <TabPanel idBase="snippet" tab={snippet} as="pre" className="publish-snippet" tabIndex={0} data-testid="snippet">
        {code}
      </TabPanel>
      <button type="button" className="btn btn-sm" onClick={() => void navigator.clipboard?.writeText(code)}>
        Copy
      </button>
    </section>
  );
}
