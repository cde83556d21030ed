import { create, type StateCreator } from 'zustand';
import { devtools } from 'zustand/middleware';
import { type BreakpointSlice, createBreakpointSlice } from './breakpoint-slice';
import { type CatalogSlice, createCatalogSlice } from './catalog-slice';
import { createGraphSlice, type GraphSlice } from './graph-slice';
import { createRunSlice, type RunSlice } from './run-slice';
import { createUiSlice, type UiSlice } from './ui-slice';

export type EditorState = CatalogSlice & GraphSlice & RunSlice & UiSlice & BreakpointSlice;
export type SliceCreator<T> = StateCreator<EditorState, [['zustand/devtools', never]], [], T>;

export const useEditor = create<EditorState>()(
  devtools(
    (...a) => ({
      ...createCatalogSlice(...a),
      ...createGraphSlice(...a),
      ...createRunSlice(...a),
      ...createUiSlice(...a),
      ...createBreakpointSlice(...a),
    }),
    { name: 'flowloom-editor', enabled: import.meta.env?.DEV === true },
  ),
);

/** The store as it was created, for tests and for leaving a flow. */
export const initialEditorState = useEditor.getState();
