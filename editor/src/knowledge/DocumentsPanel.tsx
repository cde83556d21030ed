import { useEffect, useId, useState } from 'react';
import { type Chunk, type CollectionDocument, errorText, knowledgeApi } from './api';

const PAGE = 20;

/** A collection's documents (by source) with their chunk counts; browse one's chunks, delete a chunk or a document. */
export function DocumentsPanel({
  collection,
  documents,
  onChanged,
}: {
  collection: string;
  documents: CollectionDocument[];
  onChanged: () => void;
}) {
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const title = useId();

  const removeDocument = async (source: string) => {
    if (!window.confirm(`Delete “${source}” and its chunks from ${collection}?`)) return;
    setError(null);
    try {
      await knowledgeApi.deleteDocument(collection, source);
      if (open === source) setOpen(null);
      onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section className="knowledge-panel" aria-labelledby={title}>
      <h2 id={title}>Documents</h2>
      {error ? (
        <div role="alert" className="callout callout-error">
          {error}
        </div>
      ) : null}
      {documents.length === 0 ? (
        <p className="muted">No documents.</p>
      ) : (
        <table className="data-table" data-testid="documents-table">
          <thead>
            <tr>
              <th scope="col">Document</th>
              <th scope="col">Type</th>
              <th scope="col" className="num">
                Chunks
              </th>
              <th scope="col" className="actions">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {documents.map((doc) => (
              <tr key={doc.source} data-testid={`document-${doc.source}`}>
                <th scope="row" className="knowledge-source">
                  {doc.source}
                </th>
                <td>{doc.type ?? ''}</td>
                <td className="num">{doc.chunks}</td>
                <td className="actions">
                  <button
                    type="button"
                    className="btn btn-ghost btn-sm"
                    aria-expanded={open === doc.source}
                    onClick={() => setOpen(open === doc.source ? null : doc.source)}
                    data-testid={`browse-${doc.source}`}
                  >
                    {open === doc.source ? 'Hide chunks' : 'Browse chunks'}
                  </button>
                  <button
                    type="button"
                    className="btn btn-ghost btn-sm danger"
                    onClick={() => void removeDocument(doc.source)}
                    aria-label={`Delete ${doc.source}`}
                    data-testid={`delete-document-${doc.source}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open ? <ChunkBrowser key={open} collection={collection} source={open} onChanged={onChanged} /> : null}
    </section>
  );
}

/** One document's chunks, a page at a time, each with its delete button. */
function ChunkBrowser({
  collection,
  source,
  onChanged,
}: {
  collection: string;
  source: string;
  onChanged: () => void;
}) {
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ chunks: Chunk[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const title = useId();

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` reloads the page after a delete.
  useEffect(() => {
    let isCurrent = true;
    knowledgeApi
      .chunks(collection, source, offset, PAGE)
      .then((answer) => {
        if (!isCurrent) return;
        // The last chunk of the last page deleted: go back a page.
        if (answer.chunks.length === 0 && offset > 0) setOffset(Math.max(0, offset - PAGE));
        else setPage(answer);
      })
      .catch((err: unknown) => isCurrent && setError(errorText(err)));
    return () => {
      isCurrent = false;
    };
  }, [collection, source, offset, version]);

  const remove = async (chunk: Chunk) => {
    setError(null);
    try {
      await knowledgeApi.deleteChunk(collection, chunk.id);
      setVersion((v) => v + 1);
      onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };

  const last = page ? Math.min(offset + PAGE, page.total) : 0;
  return (
    <section className="chunk-browser" aria-labelledby={title} data-testid="chunk-browser">
      <h3 id={title}>
        Chunks of {source}
        {page ? (
          <span className="muted small"> · {page.total === 0 ? 'none' : `${offset + 1}–${last} of ${page.total}`}</span>
        ) : null}
      </h3>
      {error ? (
        <div role="alert" className="callout callout-error">
          {error}
        </div>
      ) : null}
      <ol className="chunk-list" start={offset + 1}>
        {page?.chunks.map((chunk, i) => (
          <li key={chunk.id} className="chunk" data-testid="stored-chunk">
            <span className="chunk-meta muted small">
              #{offset + i + 1} · {chunk.text.length} chars
              {typeof chunk.metadata.headingPath === 'string' ? ` · ${chunk.metadata.headingPath}` : ''}
              <button
                type="button"
                className="btn btn-ghost btn-sm danger"
                onClick={() => void remove(chunk)}
                aria-label={`Delete chunk ${offset + i + 1}`}
                data-testid="delete-chunk"
              >
                Delete
              </button>
            </span>
            <span className="chunk-text">{chunk.text}</span>
          </li>
        ))}
      </ol>
      {page && page.total > PAGE ? (
        <div className="data-toolbar">
          <button
            type="button"
            className="btn btn-sm"
            aria-disabled={offset === 0 || undefined}
            onClick={() => offset > 0 && setOffset(Math.max(0, offset - PAGE))}
          >
            Previous
          </button>
          <button
            type="button"
            className="btn btn-sm"
            aria-disabled={last >= page.total || undefined}
            onClick={() => last < page.total && setOffset(offset + PAGE)}
            data-testid="chunks-next"
          >
            Next
          </button>
        </div>
      ) : null}
    </section>
  );
}
