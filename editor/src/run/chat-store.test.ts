import { describe, expect, it } from 'vitest';
import { historyMessages, type Turn } from './chat-store';

describe('historyMessages', () => {
  it('gives each answered question and its answer, in order, as OpenAI messages', () => {
    const turns: Turn[] = [
      { id: 1, role: 'user', text: 'my name is Ada' },
      { id: 2, role: 'assistant', text: 'hi Ada', meta: '12 ms' },
      { id: 3, role: 'user', text: 'oops' },
      { id: 4, role: 'assistant', text: 'PROVIDER_ERROR', isError: true },
      { id: 5, role: 'user', text: 'what is my name?' },
      { id: 6, role: 'assistant', text: 'Ada' },
    ];
    expect(historyMessages(turns)).toEqual([
      { role: 'user', content: 'my name is Ada' },
      { role: 'assistant', content: 'hi Ada' },
      { role: 'user', content: 'what is my name?' },
      { role: 'assistant', content: 'Ada' },
    ]);
    expect(historyMessages([])).toEqual([]);
  });
});
