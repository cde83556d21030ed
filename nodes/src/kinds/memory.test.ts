import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../spec/index.js';
import { memory } from './memory.js';
import { fakeContext } from './shared/fake-context.js';

function store() {
  const sessions = new Map<string, ChatMessage[]>();
  return {
    sessions,
    read: async (sessionId: string, options: { namespace: string; limit: number }) =>
      (sessions.get(`${sessionId}/${options.namespace}`) ?? []).slice(-options.limit),
    append: async (sessionId: string, messages: ChatMessage[], options: { namespace: string }) => {
      const key = `${sessionId}/${options.namespace}`;
      sessions.set(key, [...(sessions.get(key) ?? []), ...messages]);
    },
  };
}

const params = { mode: 'read', window: 2, namespace: 'default', role: 'user' };

describe('memory', () => {
  it("appends to and reads the request session's history within the window", async () => {
    const svc = store();
    const { ctx } = fakeContext({ services: { memory: svc }, request: { sessionId: 's1' } });
    await memory.execute({ inputs: { text: 'first' }, params: { ...params, mode: 'append' } }, ctx);
    const appended = await memory.execute(
      {
        inputs: { messages: [{ role: 'assistant', content: 'second' }], text: 'third' },
        params: { ...params, mode: 'append', window: 10 },
      },
      ctx,
    );
    expect((appended.messages as ChatMessage[]).map((m) => m.content)).toEqual(['first', 'second', 'third']);
    const read = await memory.execute({ inputs: {}, params }, ctx);
    expect(read.messages).toEqual([
      { role: 'assistant', content: 'second' },
      { role: 'user', content: 'third' },
    ]);
  });

  it('takes the sessionId input over the request and keeps sessions apart', async () => {
    const svc = store();
    const { ctx } = fakeContext({ services: { memory: svc }, request: { sessionId: 's1' } });
    await memory.execute({ inputs: { text: 'x', sessionId: 's2' }, params: { ...params, mode: 'append' } }, ctx);
    expect((await memory.execute({ inputs: {}, params }, ctx)).messages).toEqual([]);
    expect([...svc.sessions.keys()]).toEqual(['s2/default']);
  });

  it('refuses a run without a session and an append without content', async () => {
    const { ctx } = fakeContext({ services: { memory: store() } });
    await expect(memory.execute({ inputs: {}, params }, ctx)).rejects.toMatchObject({ code: 'NODE_INPUT_INVALID' });
    const { ctx: withSession } = fakeContext({ services: { memory: store() }, request: { sessionId: 's' } });
    await expect(
      memory.execute({ inputs: {}, params: { ...params, mode: 'append' } }, withSession),
    ).rejects.toMatchObject({
      code: 'NODE_INPUT_INVALID',
    });
  });
});
