import type { FlowInputSpec } from '@flowloom/nodes/spec';
import { describe, expect, it } from 'vitest';
import { formValuesOf, parseInput } from './run-inputs';

const field = (name: string, dataType: FlowInputSpec['dataType']): FlowInputSpec => ({
  nodeId: name,
  name,
  dataType,
  required: false,
});

describe('run form values', () => {
  const fields = [
    field('question', 'text'),
    field('count', 'number'),
    field('strict', 'boolean'),
    field('filters', 'json'),
    field('history', 'messages'),
  ];
  const inputs = {
    question: 'Where is my parcel?\n(order 42)',
    count: 3.5,
    strict: true,
    filters: { tags: ['billing'], limit: 2 },
    history: [{ role: 'user', content: 'hi' }],
  };

  it('gives back a run’s inputs as the form’s text, which parses to the same values', () => {
    const values = formValuesOf(fields, inputs);
    expect(values).toMatchObject({ question: inputs.question, count: '3.5', strict: true });
    expect(values.filters).toBe(JSON.stringify(inputs.filters, null, 2));
    for (const f of fields) expect(parseInput(f, values[f.name] ?? '')).toEqual(inputs[f.name as keyof typeof inputs]);
  });

  it('leaves inputs the run did not get empty, drops those the flow lost, and writes JSON for a mistyped value', () => {
    const values = formValuesOf(fields.slice(0, 3), { question: 7, gone: 'x' });
    expect(values).toEqual({ question: '7', count: '', strict: false });
    expect(parseInput(fields[0] as FlowInputSpec, values.question ?? '')).toBe('7');
  });
});
