import type { PortSpec } from '@flowloom/nodes/spec';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePin, pinsForRun, usablePin, usePins, withPin } from './pin-store';

const ports: PortSpec[] = [
  { name: 'text', dataType: 'text' },
  { name: 'json', dataType: 'json' },
];

afterEach(() => usePins.setState({ pins: {} }));

describe('pins', () => {
  it('pins, replaces and unpins per flow and node, dropping empty flows', () => {
    let pins = withPin({}, 'chat', 'llm', { text: 'a' });
    pins = withPin(pins, 'chat', 'llm', { text: 'b' });
    pins = withPin(pins, 'other', 'x', { text: 'c' });
    expect(pins).toEqual({ chat: { llm: { text: 'b' } }, other: { x: { text: 'c' } } });
    expect(withPin(pins, 'chat', 'llm', undefined)).toEqual({ other: { x: { text: 'c' } } });
  });

  it('sends only the pins of nodes still on the canvas, on the output ports they still have', () => {
    const pins = { chat: { llm: { text: 'a', old: 1 }, gone: { text: 'b' }, renamed: { before: 2 } } };
    const outputs = new Map([
      ['question', ['value']],
      ['llm', ['text', 'messages']],
      ['renamed', ['after']],
    ]);
    expect(pinsForRun(pins, 'chat', outputs)).toEqual({ llm: { text: 'a' } });
    expect(pinsForRun(pins, 'none', outputs)).toEqual({});
  });

  it('uses of a pin only the ports the node still has', () => {
    expect(usablePin({ text: 'a', old: 1 }, ['text'])).toEqual({ text: 'a' });
    expect(usablePin({ old: 1 }, ['text'])).toBeUndefined();
    expect(usablePin({ text: 'a' }, undefined)).toBeUndefined();
  });

  it('forgets a deleted flow’s pins', () => {
    usePins.getState().pin('chat', 'llm', { text: 'a' });
    usePins.getState().pin('other', 'llm', { text: 'b' });
    usePins.getState().forgetFlow('chat');
    expect(usePins.getState().pins).toEqual({ other: { llm: { text: 'b' } } });
  });

  it('parses a typed pin and names the port that is not an output', () => {
    expect(parsePin('{"text": "hi"}', ports)).toEqual({ outputs: { text: 'hi' } });
    expect(parsePin('{"answer": "hi"}', ports)).toEqual({
      error: '"answer" is not an output of this node (its outputs: text, json)',
    });
    expect(parsePin('"hi"', ports)).toMatchObject({ error: expect.stringContaining('object of output ports') });
    expect(parsePin('{"text": ', ports)).toMatchObject({ error: expect.stringContaining('Not valid JSON') });
    expect(parsePin('{}', ports)).toEqual({ error: 'Pin at least one output port' });
  });

  it('the store pins and unpins through its actions', () => {
    usePins.getState().pin('chat', 'llm', { text: 'a' });
    expect(usePins.getState().pins).toEqual({ chat: { llm: { text: 'a' } } });
    usePins.getState().unpin('chat', 'llm');
    expect(usePins.getState().pins).toEqual({});
  });
});
