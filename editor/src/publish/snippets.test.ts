import type { FlowInputSpec } from '@flowloom/nodes/spec';
import { describe, expect, it } from 'vitest';
import { curlSnippet, javascriptSnippet, openaiSnippet, pythonSnippet, sampleInputs, widgetSnippet } from './snippets';

const inputs: FlowInputSpec[] = [
  { nodeId: 'question', name: 'question', dataType: 'text', required: true },
  { nodeId: 'topK', name: 'topK', dataType: 'number', required: false, default: 3 },
  { nodeId: 'strict', name: 'strict', dataType: 'boolean', required: false },
];
const options = { origin: 'https://flows.example.com', flowId: 'support', inputs };

describe('snippets', () => {
  it('use the flow’s real inputs, with defaults when they have one', () => {
    expect(sampleInputs(inputs)).toEqual({ question: 'What can you do?', topK: 3, strict: true });
  });

  it('curl posts the inputs as JSON to the published endpoint with a bearer key', () => {
    const text = curlSnippet(options);
    expect(text).toContain('https://flows.example.com/api/v1/flows/support/run');
    expect(text).toContain('Authorization: Bearer $FLOWLOOM_API_KEY');
    const body = /-d '(.*)'$/m.exec(text)?.[1];
    expect(JSON.parse(body ?? '')).toEqual({ inputs: { question: 'What can you do?', topK: 3, strict: true } });
  });

  it('escapes single quotes in curl bodies', () => {
    const text = curlSnippet({
      ...options,
      inputs: [{ nodeId: 'q', name: 'q', dataType: 'text', required: true, default: "it's" }],
    });
    expect(text).toContain(`"q":"it'\\''s"`);
  });

  it('JavaScript and Python carry the same inputs', () => {
    const js = javascriptSnippet({ ...options, apiKey: 'flk_x' });
    expect(js).toContain("fetch('https://flows.example.com/api/v1/flows/support/run'");
    expect(js).toContain('"topK": 3');
    expect(js).toContain("'flk_x'");
    const py = pythonSnippet(options);
    expect(py).toContain('"question": "What can you do?"');
    expect(py).toContain('"strict": True');
    expect(py).toContain('os.environ["FLOWLOOM_API_KEY"]');
  });

  it('Python that reads os.environ imports os first, and runs as pasted (no NameError)', () => {
    for (const snippet of [pythonSnippet(options), openaiSnippet(options)]) {
      expect(snippet).toContain('os.environ["FLOWLOOM_API_KEY"]');
      expect(snippet.split('\n')[0]).toBe('import os');
    }
  });

  it('the widget embed names the flow and the key', () => {
    expect(widgetSnippet({ ...options, apiKey: 'flk_k' })).toBe(
      '<script src="https://flows.example.com/widget.js" data-flow="support" data-key="flk_k"></script>',
    );
    // Without a key it asks for a browser key, never a "public key" that would be a secret one.
    expect(widgetSnippet(options)).toContain('data-key="flk_pub_YOUR_BROWSER_KEY"');
    expect(widgetSnippet(options)).not.toContain('public');
  });
});
