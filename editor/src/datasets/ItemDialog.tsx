import { useId, useState } from 'react';
import { Field } from '../ui/Field';
import { Modal } from '../ui/Modal';
import { type DatasetItem, datasetsApi } from './api';
import { problemsOf } from './DatasetsPage';

/** Adds an item, or edits one: inputs as JSON, the expected answer as text or JSON, the split. */
export function ItemDialog({
  datasetId,
  item,
  onClose,
  onSaved,
}: {
  datasetId: string;
  item?: DatasetItem;
  onClose: () => void;
  onSaved: () => void;
}) {
  const [input, setInput] = useState(JSON.stringify(item?.input ?? { question: '' }, null, 2));
  const isTextExpected = item?.expected === undefined || typeof item.expected === 'string';
  const [expectedAs, setExpectedAs] = useState<'text' | 'json'>(isTextExpected ? 'text' : 'json');
  const [expected, setExpected] = useState(
    item?.expected === undefined ? '' : isTextExpected ? String(item.expected) : JSON.stringify(item.expected, null, 2),
  );
  const [split, setSplit] = useState(item?.split ?? '');
  const [error, setError] = useState<{ message: string; problems: string[] } | null>(null);
  /** One name for the two radio buttons: one group, arrow keys move between them. */
  const expectedAsName = useId();

  const save = async () => {
    setError(null);
    let parsedInput: Record<string, unknown>;
    let parsedExpected: unknown;
    try {
      parsedInput = JSON.parse(input) as Record<string, unknown>;
    } catch (err) {
      setError({ message: `Inputs are not JSON: ${(err as Error).message}`, problems: [] });
      return;
    }
    try {
      parsedExpected = expected.trim() === '' ? undefined : expectedAs === 'json' ? JSON.parse(expected) : expected;
    } catch (err) {
      setError({ message: `The expected answer is not JSON: ${(err as Error).message}`, problems: [] });
      return;
    }
    try {
      if (item) {
        await datasetsApi.updateItem(datasetId, item.id, {
          input: parsedInput,
          expected: parsedExpected === undefined ? null : parsedExpected,
          split: split.trim() === '' ? null : split.trim(),
        });
      } else {
        await datasetsApi.addItems(datasetId, [
          {
            input: parsedInput,
            ...(parsedExpected !== undefined && { expected: parsedExpected }),
            ...(split.trim() !== '' && { split: split.trim() }),
          },
        ]);
      }
      onSaved();
    } catch (err) {
      setError(problemsOf(err));
    }
  };

  return (
    <Modal
      title={item ? `Edit item ${item.id}` : 'Add an item'}
      onClose={onClose}
      testId="item-dialog"
      footer={
        <>
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={() => void save()} data-testid="item-save">
            Save
          </button>
        </>
      }
    >
      <Field id="item-input" label="Inputs (JSON, by flow input name)">
        <textarea
          id="item-input"
          className="input"
          rows={5}
          value={input}
          onChange={(e) => setInput(e.target.value)}
          data-testid="item-input"
        />
      </Field>
      <Field id="item-expected" label="Expected answer (optional)">
        <textarea
          id="item-expected"
          className="input"
          rows={3}
          value={expected}
          onChange={(e) => setExpected(e.target.value)}
          data-testid="item-expected"
        />
      </Field>
      <fieldset className="fieldset-plain">
        <legend className="field-label">The expected answer is</legend>
        <label>
          <input
            type="radio"
            name={expectedAsName}
            checked={expectedAs === 'text'}
            onChange={() => setExpectedAs('text')}
          />{' '}
          text
        </label>{' '}
        <label>
          <input
            type="radio"
            name={expectedAsName}
            checked={expectedAs === 'json'}
            onChange={() => setExpectedAs('json')}
          />{' '}
          JSON
        </label>
      </fieldset>
      <Field id="item-split" label="Split (optional)">
        <input
          id="item-split"
          className="input"
          value={split}
          onChange={(e) => setSplit(e.target.value)}
          placeholder="e.g. test"
        />
      </Field>
      {error ? (
        <div role="alert" className="callout callout-error">
          {error.message}
          {error.problems.length > 0 ? (
            <ul className="problems-list">
              {error.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </Modal>
  );
}
