import { type FormEvent, useId, useState } from 'react';
import { Field } from '../ui/Field';
import { type Chunk, errorText, knowledgeApi } from './api';

/** Try a query as a retriever node would run it: the closest chunks, best first, with their similarity scores. */
export function QueryPanel({ collection }: { collection: string }) {
  const [query, setQuery] = useState('');
  const [topK, setTopK] = useState('4');
  const [results, setResults] = useState<Chunk[] | null>(null);
  const [isBusy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  const run = async (e: FormEvent) => {
    e.preventDefault();
    if (!query.trim() || isBusy) return;
    setBusy(true);
    setError(null);
    try {
      const k = Math.min(50, Math.max(1, Math.round(Number(topK)) || 4));
      setResults((await knowledgeApi.query(collection, query.trim(), k)).documents);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="knowledge-panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Test a query</h2>
      <form className="data-form" onSubmit={run}>
        <Field id={`${id}-query`} label="Query" className="knowledge-query">
          <input
            id={`${id}-query`}
            className="input"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="What would a user ask?"
            data-testid="test-query"
          />
        </Field>
        <Field id={`${id}-topk`} label="Results">
          <input
            id={`${id}-topk`}
            className="input"
            type="number"
            min={1}
            max={50}
            value={topK}
            onChange={(e) => setTopK(e.target.value)}
          />
        </Field>
        <button
          type="submit"
          className="btn btn-primary"
          aria-disabled={!query.trim() || isBusy || undefined}
          data-testid="run-query"
        >
          Search
        </button>
      </form>
      {error ? (
        <div role="alert" className="callout callout-error">
          {error}
        </div>
      ) : null}
      <div role="status">
        {results ? (
          results.length === 0 ? (
            <p className="muted">Nothing found.</p>
          ) : (
            <ol className="chunk-list" data-testid="query-results">
              {results.map((chunk) => (
                <li key={chunk.id} className="chunk" data-testid="query-result">
                  <span className="chunk-meta small">
                    <strong className="chunk-score" data-testid="query-score">
                      {(chunk.score ?? 0).toFixed(3)}
                    </strong>{' '}
                    <span className="muted">
                      {typeof chunk.metadata.source === 'string' ? chunk.metadata.source : ''}
                      {typeof chunk.metadata.headingPath === 'string' ? ` · ${chunk.metadata.headingPath}` : ''}
                    </span>
                  </span>
                  <span className="chunk-text">{chunk.text}</span>
                </li>
              ))}
            </ol>
          )
        ) : null}
      </div>
    </section>
  );
}
