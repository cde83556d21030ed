import {
  autocompletion,
  type CompletionContext,
  type CompletionResult,
  completionStatus,
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { json } from '@codemirror/lang-json';
import { bracketMatching, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState, type Extension, Prec } from '@codemirror/state';
import {
  Decoration,
  type DecorationSet,
  EditorView,
  keymap,
  MatchDecorator,
  placeholder as placeholderExt,
  ViewPlugin,
  type ViewUpdate,
} from '@codemirror/view';
import { useEffect, useRef } from 'react';
import { codeHighlightStyle } from './code-highlight';

export type CodeLanguage = 'template' | 'javascript' | 'json' | 'markdown' | 'text';

interface Props {
  id: string;
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  language: CodeLanguage;
  /** Names offered after `{{` in templates. */
  variables?: readonly string[];
  isInvalid?: boolean;
  ariaLabel: string;
  /** The id of the element that says how Tab behaves here (Tab indents; Escape then Tab leaves). */
  describedBy?: string;
  isRequired?: boolean;
  testId?: string;
  placeholder?: string;
  minHeight?: number;
}

const variableMark = Decoration.mark({ class: 'cm-template-var' });
const variableMatcher = new MatchDecorator({
  regexp: /\{\{\s*[A-Za-z_][A-Za-z0-9_-]*\s*\}\}/g,
  decoration: variableMark,
});

/** Highlights `{{variable}}` placeholders. */
const templateHighlight = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = variableMatcher.createDeco(view);
    }
    update(update: ViewUpdate) {
      this.decorations = variableMatcher.updateDeco(update, this.decorations);
    }
  },
  { decorations: (v) => v.decorations },
);

/** Completes `{{` with the variables the flow can provide. */
export function templateCompletions(variables: () => readonly string[]) {
  return (context: CompletionContext): CompletionResult | null => {
    const match = context.matchBefore(/\{\{\s*[A-Za-z0-9_-]*$/);
    if (!match) return null;
    const start = match.from + match.text.search(/[A-Za-z0-9_-]*$/);
    const after = context.state.sliceDoc(context.pos, context.pos + 2);
    return {
      from: start,
      options: variables().map((name) => ({
        label: name,
        type: 'variable',
        apply: after === '}}' ? name : `${name}}}`,
      })),
      validFor: /^[A-Za-z0-9_-]*$/,
    };
  };
}

const theme = EditorView.theme(
  {
    '&': { fontSize: '12.5px', backgroundColor: 'var(--bg-input)', borderRadius: '8px' },
    '.cm-content': { fontFamily: 'var(--font-mono)', caretColor: 'var(--code-caret)', padding: '8px 0' },
    '.cm-line': { padding: '0 10px' },
    '&.cm-focused': { outline: 'none' },
    '.cm-scroller': { lineHeight: '1.55' },
    '.cm-tooltip': {
      backgroundColor: 'var(--bg-float)',
      border: '1px solid var(--border-strong)',
      color: 'var(--text)',
    },
    '.cm-tooltip-autocomplete > ul > li[aria-selected]': { backgroundColor: 'var(--accent-solid)', color: 'white' },
    '.cm-placeholder': { color: 'var(--text-faint)' },
    '.cm-cursor': { borderLeftColor: 'var(--code-caret)' },
    '.cm-selectionBackground, &.cm-focused .cm-selectionBackground': { backgroundColor: 'var(--accent-soft)' },
  },
  // Colours come from the theme's CSS variables (styles.css): one editor theme serves light and dark.
);

function languageExtension(language: CodeLanguage): Extension {
  if (language === 'javascript') return javascript();
  if (language === 'json') return json();
  return [];
}

const passesTab = new WeakSet<EditorView>();

function setPassesTab(view: EditorView, on: boolean) {
  if (on === passesTab.has(view)) return;
  if (on) passesTab.add(view);
  else passesTab.delete(view);
  view.setTabFocusMode(on);
}

/**
 * Tab indents, but never traps the keyboard (WCAG 2.1.2, 2.2.1). A field just reached (by Tab, Shift+Tab or a click)
 * lets Tab pass through until the first key that edits it; from then on Tab indents, until Escape, after which the
 * next Tab leaves, with no time limit (CodeMirror's own Escape allows 2 s). An Escape that closes the completion
 * list only closes it (the list handles it first). Ctrl+M still toggles the mode by hand.
 */
// Before the keymaps (Prec.highest): the completion keymap's Escape would otherwise swallow the key, even for a query
// that shows nothing yet.
const tabNeverTraps = Prec.highest(
  EditorView.domEventHandlers({
    focus(_event, view) {
      setPassesTab(view, true);
      return false;
    },
    keydown(event, view) {
      if (event.key === 'Escape') {
        // Only a list on screen takes the Escape (a query still pending shows nothing, so it must not swallow it).
        if (completionStatus(view.state) !== 'active') setPassesTab(view, true);
      } else if (!event.ctrlKey && !event.metaKey && !['Tab', 'Shift', 'Control', 'Alt', 'Meta'].includes(event.key)) {
        setPassesTab(view, false);
      }
      return false;
    },
    blur(_event, view) {
      setPassesTab(view, false);
      return false;
    },
  }),
);

/** A CodeMirror 6 editor for code, JSON and `{{template}}` params. */
export function CodeField(props: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const language = useRef(new Compartment());

  // biome-ignore lint/correctness/useExhaustiveDependencies: the view is created once; props are read through `latest`.
  useEffect(() => {
    if (!host.current) return;
    const isTemplate = props.language === 'template';
    const state = EditorState.create({
      doc: props.value,
      extensions: [
        history(),
        // Tab indents once you type, as in any code editor; Escape then Tab (or Ctrl+M, which toggles it) moves focus
        // on (`tabNeverTraps`), and the field says so (`describedBy`).
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        tabNeverTraps,
        bracketMatching(),
        syntaxHighlighting(codeHighlightStyle, { fallback: true }),
        EditorView.lineWrapping,
        theme,
        language.current.of(languageExtension(props.language)),
        isTemplate ? templateHighlight : [],
        isTemplate
          ? autocompletion({
              override: [templateCompletions(() => latest.current.variables ?? [])],
              // The list opens only after `{{`, so Enter right away means "take this variable".
              interactionDelay: 0,
            })
          : [],
        props.placeholder ? placeholderExt(props.placeholder) : [],
        EditorView.contentAttributes.of({
          'aria-label': props.ariaLabel,
          id: props.id,
          ...(props.describedBy && { 'aria-describedby': props.describedBy }),
          ...(props.isRequired && { 'aria-required': 'true' }),
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) latest.current.onChange(update.state.doc.toString());
          if (update.focusChanged && !update.view.hasFocus) latest.current.onBlur?.();
        }),
      ],
    });
    view.current = new EditorView({ state, parent: host.current });
    return () => {
      view.current?.destroy();
      view.current = null;
    };
  }, []);

  // Outside changes (undo, another field) flow into the editor without resetting the cursor needlessly.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  useEffect(() => {
    const content = view.current?.contentDOM;
    if (props.isInvalid) content?.setAttribute('aria-invalid', 'true');
    else content?.removeAttribute('aria-invalid');
  }, [props.isInvalid]);

  return (
    <div
      ref={host}
      className={`code-field${props.isInvalid ? ' is-invalid' : ''}`}
      style={{ minHeight: props.minHeight ?? 80 }}
      data-testid={props.testId}
    />
  );
}
