import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { Field } from '../ui/Field';
import { PageHeader } from '../ui/PageHeader';
import { navigate } from '../ui/router';
import { useDocumentTitle } from '../ui/use-document-title';
import { type Collection, type CollectionDocument, errorText, knowledgeApi } from './api';
import { refreshCollections, useCollections } from './collections-store';
import { DocumentsPanel } from './DocumentsPanel';
import { QueryPanel } from './QueryPanel';
import { UploadPanel } from './UploadPanel';
import '../ui/page.css';
import '../ui/data-page.css';
import './knowledge.css';

/** A collection name as the vector store takes it (runtime/src/rag/vectors.ts COLLECTION_NAME). */
const COLLECTION_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$/;

/**
 * Knowledge: the vector collections retriever nodes search (`#/knowledge`), and one collection (`#/knowledge/:name`):
 * upload files with a chunk preview, browse and delete its documents and chunks, try a query.
 */
export function KnowledgePage({ collection }: { collection?: string }) {
  useDocumentTitle(collection ? `${collection} · Knowledge` : 'Knowledge');
  const list = useCollections((s) => s.list);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    refreshCollections().catch((err: unknown) => setError(errorText(err)));
  }, []);
  return (
    <div className="flows-page" data-testid="knowledge-page">
      <PageHeader
        crumbs={[{ label: 'Knowledge', href: '#/knowledge' }, ...(collection ? [{ label: collection }] : [])]}
      />
      <main className="data-main knowledge">
        <CollectionList collections={list} current={collection} />
        <section className="knowledge-body" aria-labelledby="knowledge-heading">
          {error ? (
            <div role="alert" className="callout callout-error">
              {error}
            </div>
          ) : null}
          {collection ? (
            <CollectionView key={collection} name={collection} info={list.find((c) => c.name === collection)} />
          ) : (
            <>
              <h1 id="knowledge-heading">Knowledge</h1>
              <p className="muted">
                Collections of document chunks that <code>retriever</code> nodes search. Pick one, or make one by
                uploading files (txt, md, html, json, csv, pdf: what the ingest node reads).
              </p>
            </>
          )}
        </section>
      </main>
    </div>
  );
}

/** The collections with their chunk counts, and a new one by name. */
function CollectionList({ collections, current }: { collections: Collection[]; current?: string }) {
  const [name, setName] = useState('');
  const isValid = COLLECTION_NAME.test(name.trim());
  const create = (e: FormEvent) => {
    e.preventDefault();
    if (!isValid) return;
    navigate({ page: 'knowledge', collection: name.trim() });
    setName('');
  };
  return (
    <nav className="knowledge-list" aria-labelledby="collections-heading">
      <h2 id="collections-heading">Collections</h2>
      {collections.length === 0 ? <p className="muted small">None yet.</p> : null}
      <ul data-testid="collection-list">
        {collections.map((c) => (
          <li key={c.name}>
            <a
              href={`#/knowledge/${encodeURIComponent(c.name)}`}
              aria-current={c.name === current ? 'page' : undefined}
              data-testid={`collection-${c.name}`}
            >
              <span className="knowledge-name">{c.name}</span>
              <span className="muted small">
                {c.count ?? 0} chunk{c.count === 1 ? '' : 's'}
              </span>
            </a>
          </li>
        ))}
      </ul>
      <form onSubmit={create} className="knowledge-new">
        <Field
          id="new-collection"
          label="New collection"
          help="3 or more letters, digits, . _ -; it is made by its first upload."
        >
          <input
            id="new-collection"
            className="input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. product-docs"
            aria-invalid={name !== '' && !isValid ? true : undefined}
            data-testid="new-collection"
          />
        </Field>
        <button
          type="submit"
          className="btn btn-sm"
          aria-disabled={!isValid || undefined}
          data-testid="open-collection"
        >
          Open
        </button>
      </form>
    </nav>
  );
}

/** One collection: what is in it, uploads, documents and chunks, a test query; delete it. */
function CollectionView({ name, info }: { name: string; info?: Collection }) {
  const [documents, setDocuments] = useState<CollectionDocument[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const isStored = info !== undefined;

  const reload = useCallback(async () => {
    setError(null);
    try {
      await refreshCollections();
      const exists = useCollections.getState().list.some((c) => c.name === name);
      setDocuments(exists ? (await knowledgeApi.documents(name)).documents : []);
    } catch (err) {
      setError(errorText(err));
    }
  }, [name]);
  useEffect(() => {
    void reload();
  }, [reload]);

  const remove = async () => {
    if (
      !window.confirm(`Delete the collection “${name}” and its ${info?.count ?? 0} chunks? Retrievers using it fail.`)
    )
      return;
    try {
      await knowledgeApi.deleteCollection(name);
      await refreshCollections();
      navigate({ page: 'knowledge' });
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <>
      <div className="data-toolbar">
        <h1 id="knowledge-heading">{name}</h1>
        <span className="muted" data-testid="collection-summary">
          {isStored
            ? `${info.count ?? 0} chunks · ${documents?.length ?? '…'} documents · embedder ${info.embedder ?? 'unknown'}`
            : 'Not stored yet: upload files to make it.'}
        </span>
        <span className="spacer" />
        {isStored ? (
          <button type="button" className="btn btn-danger btn-sm" onClick={remove} data-testid="delete-collection">
            Delete collection
          </button>
        ) : null}
      </div>
      {error ? (
        <div role="alert" className="callout callout-error">
          {error}
        </div>
      ) : null}
      <UploadPanel collection={name} embedder={info?.embedder ?? null} onIngested={reload} />
      {isStored ? (
        <>
          <DocumentsPanel collection={name} documents={documents ?? []} onChanged={reload} />
          <QueryPanel collection={name} />
        </>
      ) : null}
    </>
  );
}
