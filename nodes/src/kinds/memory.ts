import { defineNode } from '../define.js';
import { AppError, type ChatMessage } from '../spec/index.js';
import { service } from './shared/services.js';

export const memory = defineNode({
  spec: {
    type: 'memory',
    version: 1,
    title: 'Chat memory',
    category: 'data',
    keywords: ['history', 'conversation', 'chat', 'session', 'remember'],
    description:
      'Chat history per session (the run request\'s sessionId). "read" outputs the last messages; "append" stores messages or a text first, then outputs the history.',
    inputs: [
      { name: 'messages', dataType: 'messages', description: 'append: messages to store.' },
      { name: 'text', dataType: 'text', description: 'append: a text stored as one message with the role param.' },
      { name: 'sessionId', dataType: 'text', description: "Overrides the run request's sessionId." },
    ],
    outputs: [{ name: 'messages', dataType: 'messages', description: 'The history window, oldest first.' }],
    params: [
      { name: 'mode', kind: 'select', options: ['read', 'append'], default: 'read' },
      {
        name: 'window',
        kind: 'number',
        default: 20,
        min: 1,
        max: 1_000,
        integer: true,
        description: 'How many recent messages to output.',
      },
      {
        name: 'namespace',
        kind: 'string',
        default: 'default',
        required: true,
        maxLength: 100,
        description: 'Separate histories in one session.',
      },
      {
        name: 'role',
        kind: 'select',
        options: ['user', 'assistant', 'system'],
        default: 'user',
        showIf: { param: 'mode', equals: 'append' },
        description: 'Role of the text input when appending.',
      },
    ],
  },
  async execute({ inputs, params }, ctx) {
    const store = service(ctx, 'memory');
    const sessionId = inputs.sessionId ?? ctx.request.sessionId;
    if (typeof sessionId !== 'string' || sessionId === '') {
      throw new AppError(
        'NODE_INPUT_INVALID',
        'memory needs a sessionId: in the run request or on the "sessionId" input',
      );
    }
    if (params.mode === 'append') {
      const toStore: ChatMessage[] = [...(inputs.messages ?? [])];
      if (inputs.text !== undefined) toStore.push({ role: params.role as ChatMessage['role'], content: inputs.text });
      if (toStore.length === 0) throw new AppError('NODE_INPUT_INVALID', 'append needs messages or text');
      await store.append(sessionId, toStore, { namespace: params.namespace });
      ctx.log(`stored ${toStore.length} message(s)`);
    }
    ctx.signal.throwIfAborted();
    const messages = await store.read(sessionId, { namespace: params.namespace, limit: params.window });
    return { messages };
  },
});
