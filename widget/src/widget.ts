/**
 * Flowloom chat widget: a `<flowloom-chat>` custom element for published chat flows, with no dependencies.
 *
 *   <script src="https://flows.example.com/widget.js" data-flow="support" data-key="flk_..."></script>
 *   <flowloom-chat flow="support" api-key="flk_..." server="https://flows.example.com"></flowloom-chat>
 *
 * It talks to the runtime's OpenAI-compatible endpoint (`POST /api/v1/chat/completions`, streamed over SSE with
 * fetch), sends the conversation so far and a session id kept in localStorage (flows with memory use it), and keeps
 * the transcript across page loads. Written as a plain script (no import/export) so it loads both as a classic
 * `<script>` and as `<script type="module">`.
 */
(() => {
  interface ChatMessage {
    role: 'user' | 'assistant';
    content: string;
    /** The answer's id (`chatcmpl-<runId>`): thumbs rate that run. */
    id?: string;
    /** The thumb given: 1 up, -1 down. */
    rating?: number;
    /** The tools the flow called for this answer (the server's `flowloom.tools`), shown under it. */
    tools?: string[];
  }

  const TAG = 'flowloom-chat';
  const MAX_STORED = 50;

  // The script element that loaded us (classic scripts have currentScript; modules fall back to a src match).
  const loader =
    (document.currentScript as HTMLScriptElement | null) ??
    (document.querySelector('script[src*="widget.js"]') as HTMLScriptElement | null);
  const defaultServer = loader?.src ? new URL(loader.src, location.href).origin : location.origin;

  const STYLE = `
:host { all: initial; display: block; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933; }
:host([floating]) { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; }
.panel { display: flex; flex-direction: column; width: 360px; max-width: calc(100vw - 40px); height: 480px;
  max-height: calc(100vh - 100px); background: #fff; border: 1px solid #d9e2ec; border-radius: 12px;
  box-shadow: 0 8px 28px rgba(15, 23, 42, .16); overflow: hidden; }
:host([floating]) .panel[hidden] { display: none; }
header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: #243b53; color: #fff; }
header h2 { flex: 1; margin: 0; font-size: 15px; font-weight: 600; }
header button { background: transparent; border: 1px solid rgba(255,255,255,.4); color: #fff; border-radius: 6px;
  padding: 2px 8px; cursor: pointer; font: inherit; font-size: 12px; }
.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; background: #f8fafc; }
.msg { max-width: 85%; padding: 8px 10px; border-radius: 10px; white-space: pre-wrap; word-wrap: break-word; }
.msg[data-role="user"] { align-self: flex-end; background: #334e68; color: #fff; }
.msg[data-role="assistant"] { align-self: flex-start; background: #fff; border: 1px solid #d9e2ec; }
.tools { align-self: flex-start; margin-top: -4px; font-size: 12px; color: #52606d; }
.msg[data-role="error"] { align-self: stretch; background: #ffe3e3; color: #8a1c1c; border: 1px solid #ffa8a8; }
form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #d9e2ec; }
textarea { flex: 1; resize: none; height: 38px; padding: 8px; border: 1px solid #bcccdc; border-radius: 8px; font: inherit; }
form button { padding: 0 14px; border: 0; border-radius: 8px; background: #1f6fae; color: #fff; font: inherit; cursor: pointer; }
form button:disabled { background: #9fb3c8; cursor: default; }
.rate { align-self: flex-start; display: flex; gap: 4px; margin-top: -4px; }
.rate button { display: grid; place-items: center; width: 26px; height: 24px; border: 1px solid #d9e2ec;
  background: #fff; color: #52606d; border-radius: 6px; padding: 0; cursor: pointer; }
.rate button[aria-pressed="true"] { color: #1f6fae; background: #e6f0fa; border-color: #1f6fae; }
.rate svg { width: 15px; height: 15px; fill: none; stroke: currentColor; stroke-width: 1.8; stroke-linecap: round;
  stroke-linejoin: round; }
.rate button:focus-visible, header button:focus-visible, form button:focus-visible { outline: 2px solid #1f6fae; outline-offset: 1px; }
.toggle { display: none; }
:host([floating]) .toggle { display: block; margin-left: auto; margin-top: 10px; width: 56px; height: 56px;
  border-radius: 50%; border: 0; background: #1f6fae; color: #fff; font-size: 24px; cursor: pointer;
  box-shadow: 0 4px 14px rgba(15, 23, 42, .25); }
`;

  /** Thumb icons (SVG: emoji fonts are not everywhere). */
  const THUMB_UP =
    '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M7 11v9H4v-9zM7 11l4-7c1.2 0 2.3 1 2 2.3L12 10h6a2 2 0 0 1 2 2.3l-1.2 6A2 2 0 0 1 16.8 20H7"/></svg>';
  const THUMB_DOWN =
    '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M7 13V4H4v9zM7 13l4 7c1.2 0 2.3-1 2-2.3L12 14h6a2 2 0 0 0 2-2.3l-1.2-6A2 2 0 0 0 16.8 4H7"/></svg>';

  /**
   * An unguessable id: the session id keeps one visitor's chat memory from another's under a shared browser key
   * (docs/security.md). `randomUUID` exists only on secure (HTTPS) pages; `getRandomValues` everywhere.
   */
  function randomId(): string {
    if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function readJson<T>(key: string, fallback: T): T {
    try {
      const raw = localStorage.getItem(key);
      return raw ? (JSON.parse(raw) as T) : fallback;
    } catch {
      return fallback;
    }
  }

  function writeJson(key: string, value: unknown): void {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Storage may be full or disabled (private mode): the chat still works for this page.
    }
  }

  /** Reads `data: ...` events from an SSE response body, calling `onData` with each payload. */
  async function readSse(body: ReadableStream<Uint8Array>, onData: (data: string) => void): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of block.split('\n')) if (line.startsWith('data: ')) onData(line.slice(6));
        end = buffer.indexOf('\n\n');
      }
    }
  }

  class FlowloomChat extends HTMLElement {
    static observedAttributes = ['flow', 'api-key', 'server', 'chat-title'];
    #root: ShadowRoot;
    #log!: HTMLElement;
    #input!: HTMLTextAreaElement;
    #send!: HTMLButtonElement;
    #panel!: HTMLElement;
    #toggle!: HTMLButtonElement;
    #messages: ChatMessage[] = [];
    #busy = false;

    constructor() {
      super();
      this.#root = this.attachShadow({ mode: 'open' });
    }

    get flow(): string {
      return this.getAttribute('flow') ?? '';
    }

    get #storageKey(): string {
      return `flowloom-chat:${this.#server}:${this.flow}`;
    }

    get #server(): string {
      return (this.getAttribute('server') ?? defaultServer).replace(/\/+$/, '');
    }

    /** The session id of this flow's conversation, kept across page loads. */
    get sessionId(): string {
      const key = `${this.#storageKey}:session`;
      let id = readJson<string | null>(key, null);
      if (!id) {
        id = randomId();
        writeJson(key, id);
      }
      return id;
    }

    connectedCallback(): void {
      if (this.#log) return;
      const title = this.getAttribute('chat-title') ?? 'Chat';
      this.#root.innerHTML = `<style>${STYLE}</style>
<section class="panel" part="panel" id="panel" aria-label="${title.replace(/"/g, '&quot;')}">
  <header><h2></h2><button type="button" class="reset" title="Start a new conversation">New chat</button></header>
  <div class="log" role="log" aria-live="polite" aria-label="Conversation"></div>
  <form><textarea aria-label="Message" placeholder="Ask a question…" rows="1"></textarea>
  <button type="submit">Send</button></form>
</section>
<button type="button" class="toggle" aria-label="Open chat" aria-controls="panel" aria-expanded="false">💬</button>`;
      (this.#root.querySelector('h2') as HTMLElement).textContent = title;
      this.#panel = this.#root.querySelector('.panel') as HTMLElement;
      this.#log = this.#root.querySelector('.log') as HTMLElement;
      this.#input = this.#root.querySelector('textarea') as HTMLTextAreaElement;
      this.#send = this.#root.querySelector('form button') as HTMLButtonElement;
      this.#toggle = this.#root.querySelector('.toggle') as HTMLButtonElement;
      if (this.hasAttribute('floating')) this.#panel.hidden = true;
      this.#toggle.addEventListener('click', () => this.#setOpen(this.#panel.hidden === true));
      // Escape closes a floating chat and gives focus back to its button.
      this.#panel.addEventListener('keydown', (event) => {
        if (event.key !== 'Escape' || !this.hasAttribute('floating')) return;
        event.preventDefault();
        this.#setOpen(false);
        this.#toggle.focus();
      });
      (this.#root.querySelector('.reset') as HTMLButtonElement).addEventListener('click', () => this.reset());
      (this.#root.querySelector('form') as HTMLFormElement).addEventListener('submit', (event) => {
        event.preventDefault();
        void this.ask(this.#input.value);
      });
      this.#input.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && !event.shiftKey) {
          event.preventDefault();
          void this.ask(this.#input.value);
        }
      });
      this.#messages = readJson<ChatMessage[]>(`${this.#storageKey}:messages`, []);
      for (const message of this.#messages) {
        this.#bubble(message.role, message.content);
        if (message.tools?.length) this.#toolsLine(message.tools);
        if (message.role === 'assistant' && message.id) this.#thumbs(message);
      }
    }

    /** Shows or hides the floating panel; the toggle says which (`aria-expanded`). */
    #setOpen(isOpen: boolean): void {
      this.#panel.hidden = !isOpen;
      this.#toggle.setAttribute('aria-expanded', String(isOpen));
      if (isOpen) this.#input.focus();
    }

    /** Forgets the conversation and starts a new session. */
    reset(): void {
      this.#messages = [];
      this.#log.textContent = '';
      writeJson(`${this.#storageKey}:messages`, []);
      writeJson(`${this.#storageKey}:session`, randomId());
    }

    #bubble(role: string, text: string): HTMLElement {
      const div = document.createElement('div');
      div.className = 'msg';
      div.dataset.role = role;
      div.textContent = text;
      this.#log.append(div);
      this.#log.scrollTop = this.#log.scrollHeight;
      return div;
    }

    /** Thumbs up and down under an answer: they rate its run (`POST /api/v1/runs/:id/feedback`, this widget's key). */
    #thumbs(message: ChatMessage): void {
      const row = document.createElement('div');
      row.className = 'rate';
      const buttons = ([1, -1] as const).map((value) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.innerHTML = value === 1 ? THUMB_UP : THUMB_DOWN;
        button.setAttribute('aria-label', value === 1 ? 'Good answer' : 'Bad answer');
        button.setAttribute('aria-pressed', String(message.rating === value));
        button.addEventListener(
          'click',
          () => void this.#rate(message, message.rating === value ? null : value, buttons),
        );
        row.append(button);
        return button;
      });
      this.#log.append(row);
      this.#log.scrollTop = this.#log.scrollHeight;
    }

    async #rate(message: ChatMessage, value: 1 | -1 | null, buttons: HTMLButtonElement[]): Promise<void> {
      try {
        const response = await fetch(`${this.#server}/api/v1/runs/${encodeURIComponent(message.id ?? '')}/feedback`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${this.getAttribute('api-key') ?? ''}`,
          },
          // One feedback per answer: another thumb replaces it, the same one again withdraws it.
          body: JSON.stringify({ id: `widget-${message.id}`, score: value, source: 'widget' }),
        });
        if (!response.ok) return;
      } catch {
        return;
      }
      if (value === null) delete message.rating;
      else message.rating = value;
      buttons[0]?.setAttribute('aria-pressed', String(value === 1));
      buttons[1]?.setAttribute('aria-pressed', String(value === -1));
      this.#save();
      this.dispatchEvent(new CustomEvent('flowloom-feedback', { detail: { id: message.id, score: value } }));
    }

    /** "Used tools: a, b" under an answer. */
    #toolsLine(tools: readonly string[]): void {
      const line = document.createElement('div');
      line.className = 'tools';
      line.dataset.role = 'tools';
      line.textContent = `Used ${tools.length === 1 ? 'a tool' : `${tools.length} tools`}: ${tools.join(', ')}`;
      this.#log.append(line);
      this.#log.scrollTop = this.#log.scrollHeight;
    }

    #save(): void {
      writeJson(`${this.#storageKey}:messages`, this.#messages.slice(-MAX_STORED));
    }

    /** Sends a question and streams the answer into the conversation. */
    async ask(text: string): Promise<void> {
      const question = text.trim();
      if (!question || this.#busy) return;
      this.#busy = true;
      // A disabled button loses focus: keep it in the message box.
      if (this.#root.activeElement === this.#send) this.#input.focus();
      this.#send.disabled = true;
      this.#input.value = '';
      this.#messages.push({ role: 'user', content: question });
      this.#bubble('user', question);
      this.#save();
      const bubble = this.#bubble('assistant', '');
      bubble.setAttribute('aria-busy', 'true');
      let answer = '';
      let answerId: string | undefined;
      let tools: string[] = [];
      try {
        const response = await fetch(`${this.#server}/api/v1/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            'x-flowloom-client': 'widget',
            authorization: `Bearer ${this.getAttribute('api-key') ?? ''}`,
          },
          body: JSON.stringify({
            model: this.flow,
            messages: this.#messages.slice(-MAX_STORED).map(({ role, content }) => ({ role, content })),
            stream: true,
            session_id: this.sessionId,
          }),
        });
        if (!response.ok || !response.body) {
          const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
          throw new Error(body?.error?.message ?? `the server answered ${response.status}`);
        }
        await readSse(response.body, (data) => {
          if (data === '[DONE]') return;
          const chunk = JSON.parse(data) as {
            id?: string;
            error?: { message?: string };
            choices?: { delta?: { content?: string } }[];
            flowloom?: { tools?: string[] };
          };
          if (chunk.error) throw new Error(chunk.error.message ?? 'the flow failed');
          answerId ??= chunk.id;
          if (chunk.flowloom?.tools) tools = chunk.flowloom.tools;
          const delta = chunk.choices?.[0]?.delta?.content;
          if (delta) {
            answer += delta;
            bubble.textContent = answer;
            this.#log.scrollTop = this.#log.scrollHeight;
          }
        });
        const message: ChatMessage = {
          role: 'assistant',
          content: answer,
          ...(answerId && { id: answerId }),
          ...(tools.length > 0 && { tools }),
        };
        this.#messages.push(message);
        if (tools.length > 0) this.#toolsLine(tools);
        this.#save();
        if (answerId) this.#thumbs(message);
      } catch (err) {
        bubble.remove();
        this.#bubble('error', `Sorry, something went wrong: ${err instanceof Error ? err.message : String(err)}`);
        // The question stays in the transcript only if it was answered.
        this.#messages.pop();
        this.#save();
      } finally {
        bubble.removeAttribute('aria-busy');
        this.#busy = false;
        this.#send.disabled = false;
        this.dispatchEvent(new CustomEvent('flowloom-answer', { detail: { answer } }));
      }
    }
  }

  if (!customElements.get(TAG)) customElements.define(TAG, FlowloomChat);

  // Script-tag mode: <script src=".../widget.js" data-flow="id" data-key="flk_..."> adds a floating chat.
  if (loader?.dataset.flow && !loader.dataset.mounted) {
    loader.dataset.mounted = 'true';
    const element = document.createElement(TAG);
    element.setAttribute('flow', loader.dataset.flow);
    if (loader.dataset.key) element.setAttribute('api-key', loader.dataset.key);
    if (loader.dataset.title) element.setAttribute('chat-title', loader.dataset.title);
    element.setAttribute('server', loader.dataset.server ?? defaultServer);
    if (loader.dataset.inline === undefined) element.setAttribute('floating', '');
    const mount = () => document.body.append(element);
    if (document.body) mount();
    else document.addEventListener('DOMContentLoaded', mount, { once: true });
  }
})();
