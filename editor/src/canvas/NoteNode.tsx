import { type NodeProps, NodeResizer } from '@xyflow/react';
import { memo } from 'react';
import { NOTE_PREFIX, type NoteCanvasNode } from '../store/graph-types';
import { useEditor } from '../store/index';
import { useWrapperLabel } from './wrapper-label';

/** A sticky note: free text on the canvas, saved in the flow file's `notes`. */
export const NoteNode = memo(function NoteNode({ id, data, selected }: NodeProps<NoteCanvasNode>) {
  const setNoteText = useEditor((s) => s.setNoteText);
  const endGesture = useEditor((s) => s.endGesture);
  const noteId = id.slice(NOTE_PREFIX.length);
  const ref = useWrapperLabel('Sticky note');
  return (
    <div ref={ref} className={`note-node${selected ? ' is-selected' : ''}`} data-testid={`note-${noteId}`}>
      <NodeResizer isVisible={selected === true} minWidth={140} minHeight={80} color="var(--note-selected)" />
      <div className="note-grip" aria-hidden>
        Note
      </div>
      <textarea
        className="note-text nodrag nowheel"
        aria-label="Sticky note text"
        value={data.text}
        placeholder="Write a note…"
        onChange={(e) => setNoteText(id, e.target.value)}
        onBlur={endGesture}
      />
    </div>
  );
});
