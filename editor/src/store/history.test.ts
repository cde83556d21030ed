import { describe, expect, it } from 'vitest';
import type { GraphDoc } from './graph-types';
import { breakCoalescing, COALESCE_MS, emptyHistory, HISTORY_LIMIT, recordEdit, redoEdit, undoEdit } from './history';

const doc = (n: number): GraphDoc => ({
  nodes: [{ id: `n${n}`, type: 'flow', position: { x: n, y: 0 }, data: { type: 'input', params: {} } }],
  edges: [],
});

describe('history', () => {
  it('undoes and redoes snapshots', () => {
    let h = recordEdit(emptyHistory(), doc(0), null, 0);
    h = recordEdit(h, doc(1), null, 10);
    const u = undoEdit(h, doc(2));
    expect(u?.doc).toEqual(doc(1));
    const r = redoEdit(u!.history, u!.doc);
    expect(r?.doc).toEqual(doc(2));
    expect(undoEdit(emptyHistory(), doc(0))).toBeNull();
    expect(redoEdit(emptyHistory(), doc(0))).toBeNull();
  });

  it('coalesces same-key edits close together, until a break or a pause', () => {
    let h = recordEdit(emptyHistory(), doc(0), 'param:a:x', 0);
    h = recordEdit(h, doc(1), 'param:a:x', 100);
    h = recordEdit(h, doc(2), 'param:a:x', 200);
    expect(h.past).toEqual([doc(0)]);
    h = recordEdit(h, doc(3), 'param:a:x', 200 + COALESCE_MS + 1);
    expect(h.past.length).toBe(2);
    h = breakCoalescing(h);
    h = recordEdit(h, doc(4), 'param:a:x', 200 + COALESCE_MS + 2);
    expect(h.past.length).toBe(3);
    h = recordEdit(h, doc(5), 'param:a:y', 200 + COALESCE_MS + 3);
    expect(h.past.length).toBe(4);
  });

  it('drops the redo stack on a new edit and caps the past', () => {
    let h = emptyHistory();
    for (let i = 0; i < HISTORY_LIMIT + 5; i++) h = recordEdit(h, doc(i), null, i);
    expect(h.past.length).toBe(HISTORY_LIMIT);
    const u = undoEdit(h, doc(999))!;
    expect(u.history.future.length).toBe(1);
    expect(recordEdit(u.history, u.doc, null, 0).future).toEqual([]);
  });
});
