import { useEffect, useId, useRef, useState } from 'react';
import { Field } from '../ui/Field';
import { errorText, FILE_ACCEPT, type IngestAnswer, knowledgeApi, type PreviewAnswer, type SplitChoice } from './api';

/** How many chunks of a file the preview draws at first. */
const SHOWN = 12;

/** Whole numbers in range, as the runtime checks them (chunk size 100-8000, overlap 0-4000 and below the size). */
function splitProblem(choice: SplitChoice): { field: 'size' | 'overlap'; message: string } | null {
  const { chunkSize: size, chunkOverlap: overlap } = choice;
  if (!Number.isInteger(size) || size < 100 || size > 8000)
    return { field: 'size', message: 'A whole number of characters from 100 to 8000.' };
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > 4000)
    return { field: 'overlap', message: 'A whole number of characters from 0 to 4000.' };
  if (overlap >= size) return { field: 'overlap', message: 'Less than the chunk size.' };
  return null;
}

/**
 * Upload files into a collection: pick them, choose the chunk size, overlap and splitter, see the chunks they make
 * (the preview follows every change), then ingest them with a progress bar.
 */
export function UploadPanel({
  collection,
  embedder,
  onIngested,
}: {
  collection: string;
  /** The collection's embedder, fixed once it exists; null for a new collection (the form picks it). */
  embedder: string | null;
  onIngested: () => void;
}) {
  const [files, setFiles] = useState<File[]>([]);
  const [size, setSize] = useState('1000');
  const [overlap, setOverlap] = useState('150');
  const [splitter, setSplitter] = useState<SplitChoice['splitter']>('auto');
  const [newEmbedder, setNewEmbedder] = useState('local');
  const [preview, setPreview] = useState<PreviewAnswer | null>(null);
  const [isPreviewing, setPreviewing] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [phase, setPhase] = useState<'idle' | 'upload' | 'embed'>('idle');
  const [done, setDone] = useState<IngestAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const hint = useId();

  const choice: SplitChoice = {
    chunkSize: Number(size),
    chunkOverlap: Number(overlap),
    splitter,
    ...(embedder === null && newEmbedder.trim() && { embedder: newEmbedder.trim() }),
  };
  const problem = splitProblem(choice);
  const key = `${files.map((f) => `${f.name}:${f.size}`).join('|')}#${size}#${overlap}#${splitter}`;

  // Once previewed, the preview follows the files and the options (a moment after the last change).
  const wantsPreview = useRef(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the files and the options.
  useEffect(() => {
    if (!wantsPreview.current || problem || files.length === 0) return;
    const timer = setTimeout(() => void runPreview(), 250);
    return () => clearTimeout(timer);
  }, [key]);

  const runPreview = async () => {
    if (problem || files.length === 0) return;
    wantsPreview.current = true;
    setPreviewing(true);
    setError(null);
    try {
      setPreview(await knowledgeApi.preview(files, choice));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setPreviewing(false);
    }
  };

  const ingest = async () => {
    if (problem || files.length === 0 || phase !== 'idle') return;
    setError(null);
    setDone(null);
    setPhase('upload');
    setProgress(0);
    try {
      const answer = await knowledgeApi.ingest(collection, files, choice, (sent) => {
        setProgress(sent);
        // Every byte is sent: the runtime now splits, embeds and stores.
        if (sent >= 1) setPhase('embed');
      });
      setDone(answer);
      setFiles([]);
      setPreview(null);
      wantsPreview.current = false;
      if (fileInput.current) fileInput.current.value = '';
      onIngested();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setPhase('idle');
      setProgress(null);
    }
  };

  const fieldError = (field: 'size' | 'overlap') =>
    problem?.field === field ? (
      <div className="field-error" id={`${hint}-${field}-error`} data-testid={`split-error-${field}`}>
        {problem.message}
      </div>
    ) : null;
  const invalid = (field: 'size' | 'overlap') =>
    problem?.field === field ? { 'aria-invalid': true, 'aria-describedby': `${hint}-${field}-error` } : {};

  return (
    <section className="knowledge-panel" aria-labelledby={`${hint}-title`}>
      <h2 id={`${hint}-title`}>Add documents</h2>
      <div className="knowledge-upload">
        <Field id={`${hint}-files`} label="Files" help="txt, md, html, json, csv or pdf; up to 20 files of 20 MiB.">
          <input
            id={`${hint}-files`}
            ref={fileInput}
            className="input"
            type="file"
            multiple
            accept={FILE_ACCEPT}
            onChange={(e) => {
              setFiles([...(e.target.files ?? [])]);
              setDone(null);
            }}
            data-testid="upload-files"
          />
        </Field>
        <Field id={`${hint}-size`} label="Chunk size (characters)" error={fieldError('size')}>
          <input
            id={`${hint}-size`}
            className="input"
            type="number"
            min={100}
            max={8000}
            value={size}
            onChange={(e) => setSize(e.target.value)}
            data-testid="chunk-size"
            {...invalid('size')}
          />
        </Field>
        <Field id={`${hint}-overlap`} label="Overlap (characters)" error={fieldError('overlap')}>
          <input
            id={`${hint}-overlap`}
            className="input"
            type="number"
            min={0}
            max={4000}
            value={overlap}
            onChange={(e) => setOverlap(e.target.value)}
            data-testid="chunk-overlap"
            {...invalid('overlap')}
          />
        </Field>
        <Field id={`${hint}-splitter`} label="Split">
          <select
            id={`${hint}-splitter`}
            className="input"
            value={splitter}
            onChange={(e) => setSplitter(e.target.value as SplitChoice['splitter'])}
            data-testid="splitter"
          >
            <option value="auto">By type (markdown for md, html)</option>
            <option value="recursive">Paragraphs, then sentences</option>
            <option value="markdown">By markdown headings</option>
          </select>
        </Field>
        {embedder === null ? (
          <Field id={`${hint}-embedder`} label="Embedder" help="local (no key), or openai:<model>; fixed once made.">
            <input
              id={`${hint}-embedder`}
              className="input"
              value={newEmbedder}
              onChange={(e) => setNewEmbedder(e.target.value)}
              list={`${hint}-embedders`}
              data-testid="embedder"
            />
            <datalist id={`${hint}-embedders`}>
              <option value="local" />
              <option value="openai:text-embedding-3-small" />
            </datalist>
          </Field>
        ) : null}
      </div>
      <div className="data-toolbar">
        <button
          type="button"
          className="btn"
          onClick={() => void runPreview()}
          aria-disabled={files.length === 0 || problem !== null || undefined}
          data-testid="preview-chunks"
        >
          Preview chunks
        </button>
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => void ingest()}
          aria-disabled={files.length === 0 || problem !== null || phase !== 'idle' || undefined}
          data-testid="ingest"
        >
          Add {files.length === 1 ? '1 file' : `${files.length} files`} to {collection}
        </button>
        <span className="muted small">{files.length === 0 ? 'Choose files first.' : ''}</span>
      </div>
      {/* Always there, so that what happens is read out. */}
      <div role="status" className="knowledge-status">
        {phase !== 'idle' ? (
          <div className="progress-row" data-testid="ingest-progress">
            <progress
              max={1}
              value={phase === 'upload' ? (progress ?? 0) : undefined}
              aria-label={phase === 'upload' ? 'Uploading' : 'Splitting, embedding and storing'}
            />
            <span className="small">
              {phase === 'upload'
                ? `Uploading… ${Math.round((progress ?? 0) * 100)} %`
                : 'Splitting, embedding and storing…'}
            </span>
          </div>
        ) : null}
        {done ? (
          <p className="publish-ok" data-testid="ingest-done">
            Added {done.count} chunks from {done.files.map((f) => `${f.name} (${f.chunks})`).join(', ')} with the{' '}
            {done.embedder} embedder.
          </p>
        ) : null}
        {isPreviewing ? <span className="muted small">Splitting…</span> : null}
      </div>
      {error ? (
        <div role="alert" className="callout callout-error" data-testid="upload-error">
          {error}
        </div>
      ) : null}
      {preview ? <ChunkPreview preview={preview} /> : null}
    </section>
  );
}

/** The chunks the files make with the options on show: per file, its count and its first chunks. */
function ChunkPreview({ preview }: { preview: PreviewAnswer }) {
  const [isAll, setAll] = useState(false);
  return (
    <div className="chunk-preview" data-testid="chunk-preview">
      <h3>
        Preview: {preview.count} chunk{preview.count === 1 ? '' : 's'} of at most {preview.chunkSize} characters,{' '}
        {preview.chunkOverlap} overlapping
      </h3>
      {preview.files.map((file) => (
        <div key={file.name} className="chunk-file">
          <p className="small" data-testid={`preview-file-${file.name}`}>
            <strong>{file.name}</strong> · {file.chunkCount} chunks · split by{' '}
            {file.splitter === 'markdown' ? 'markdown headings' : 'paragraphs and sentences'}
          </p>
          <ol className="chunk-list">
            {(isAll ? file.chunks : file.chunks.slice(0, SHOWN)).map((chunk, i) => (
              <li key={chunk.id} className="chunk" data-testid="preview-chunk">
                <span className="chunk-meta muted small">
                  #{i + 1} · {chunk.text.length} chars
                  {typeof chunk.metadata.headingPath === 'string' ? ` · ${chunk.metadata.headingPath}` : ''}
                </span>
                <span className="chunk-text">{chunk.text}</span>
              </li>
            ))}
          </ol>
          {file.chunkCount > file.chunks.length || (!isAll && file.chunks.length > SHOWN) ? (
            <p className="muted small">
              {isAll
                ? `The first ${file.chunks.length} of ${file.chunkCount}.`
                : `${SHOWN} of ${file.chunkCount} shown.`}
            </p>
          ) : null}
        </div>
      ))}
      {preview.files.some((f) => f.chunks.length > SHOWN) ? (
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => setAll(!isAll)}>
          {isAll ? 'Show fewer' : 'Show more chunks'}
        </button>
      ) : null}
    </div>
  );
}
