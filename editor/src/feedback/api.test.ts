import { describe, expect, it } from 'vitest';
import { editorFeedbackId } from './api';

describe('the editor’s feedback id', () => {
  it('is one per run and node, and fits the runtime’s id rule for the longest node id', () => {
    expect(editorFeedbackId()).toBe('editor');
    expect(editorFeedbackId('llm')).toBe('editor.llm');
    // Node ids are at most 128 characters of [A-Za-z0-9_.-]; feedback ids at most 200 of [A-Za-z0-9_.:-].
    const longest = editorFeedbackId(`n-${'x'.repeat(126)}`);
    expect(longest).toMatch(/^[A-Za-z0-9_.:-]{1,200}$/);
  });
});
