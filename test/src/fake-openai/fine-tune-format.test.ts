import { describe, expect, it } from 'vitest';
import { checkTrainingFile } from './fine-tune-format.js';

const line = (value: unknown) => JSON.stringify(value);
const chat = {
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is the capital of France?' },
    { role: 'assistant', content: 'Paris.', weight: 1 },
  ],
};
const toolUse = {
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
      weight: 0,
    },
    { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
    { role: 'assistant', content: 'Sunny.' },
  ],
  tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
  parallel_tool_calls: false,
};
const pair = {
  input: { messages: [{ role: 'user', content: 'Hi' }] },
  preferred_output: [{ role: 'assistant', content: 'Hello! How can I help?' }],
  non_preferred_output: [{ role: 'assistant', content: 'What.' }],
};

describe('checkTrainingFile', () => {
  it('accepts supervised examples (tool calls included) and preference pairs, and counts them', () => {
    expect(checkTrainingFile(`${line(chat)}\n${line(toolUse)}\n`)).toEqual({
      summary: { format: 'supervised', examples: 2, tokens: 16 },
    });
    expect(checkTrainingFile(`${line(pair)}\r\n${line(pair)}`)).toMatchObject({
      summary: { format: 'dpo', examples: 2 },
    });
    expect(checkTrainingFile(`${line(chat)}\n${line(pair)}`)).toMatchObject({ summary: { format: 'mixed' } });
  });

  it('names the first bad line and what is wrong with it', () => {
    const problem = (...lines: string[]) => {
      const checked = checkTrainingFile(lines.join('\n'));
      return 'problem' in checked ? checked.problem : undefined;
    };
    const message = (value: Record<string, unknown>) => ({ messages: [{ role: 'user', content: 'q' }, value] });
    expect(problem('')).toEqual({ line: 1, message: 'the file holds no examples' });
    expect(problem(line(chat), '{"messages": [')).toMatchObject({
      line: 2,
      message: expect.stringMatching(/^not valid JSON/),
    });
    expect(problem(line(chat), '', line(chat))?.line).toBe(2);
    expect(problem('[1]')).toEqual({ line: 1, message: 'expected a JSON object' });
    expect(problem(line({ prompt: 'a', completion: 'b' }))?.message).toMatch(/needs `messages`/);
    expect(problem(line({ messages: [{ role: 'user', content: 'q' }] }))?.message).toMatch(/no assistant message/);
    expect(problem(line(message({ role: 'bot', content: 'a' })))?.message).toMatch(
      /messages\[1\]\.role must be one of/,
    );
    expect(problem(line(message({ role: 'assistant', content: 'a', weight: 0.5 })))?.message).toMatch(/weight/);
    expect(problem(line(message({ role: 'assistant', content: 'a', refusal: null })))?.message).toBe(
      'unknown key messages[1].refusal',
    );
    expect(problem(line(message({ role: 'assistant', content: null })))?.message).toMatch(/content must be a string/);
    expect(problem(line(message({ role: 'assistant', content: 'a', tool_calls: [{ id: 1 }] })))?.message).toMatch(
      /tool_calls\[0\]/,
    );
    expect(problem(line({ ...chat, messages: [...chat.messages, { role: 'tool', content: 'x' }] }))?.message).toMatch(
      /tool_call_id must be a string/,
    );
    expect(problem(line({ ...pair, preferred_output: [{ role: 'user', content: 'x' }] }))?.message).toBe(
      'preferred_output may hold only assistant messages',
    );
    expect(problem(line({ ...chat, tools: [{ type: 'function' }] }))?.message).toMatch(/tools\[0\]/);
  });
});
