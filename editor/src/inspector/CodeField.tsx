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
import { type ReactNode, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { whenIdle } from '../ui/when-idle';
import { codeHighlightStyle } from './code-highlight';

export type CodeLanguage = 'template' | 'javascript' | 'json' | 'markdown' | 'text';

interface Props {
  id: string;
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  language: CodeLanguage;
  /** Names offered after `{{` in templates, read when the list opens. */
  variables?: () => readonly string[];
  isInvalid?: boolean;
  ariaLabel: string;
  /** The id of the element that says how Tab behaves here (Tab indents; Escape then Tab leaves). */
  describedBy?: string;
  isRequired?: boolean;
  testId?: string;
  placeholder?: string;
  minHeight?: number;
}

/** A `{{variable}}` placeholder in a template. */
const VARIABLE = /\{\{\s*[A-Za-z_][A-Za-z0-9_-]*\s*\}\}/g;
const variableMark = Decoration.mark({ class: 'cm-template-var' });
const variableMatcher = new MatchDecorator({ regexp: VARIABLE, decoration: variableMark });

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

/**
 * The text as the stand-in draws it, as the editor will: a text that ends in a line break gets its empty last line,
 * and a template's variables their mark (which is a little wider than the text).
 */
function standInText(value: string, isTemplate: boolean): ReactNode {
  const text = value.endsWith('\n') ? `${value}\n` : value;
  if (!isTemplate) return text;
  const parts: ReactNode[] = [];
  let end = 0;
  for (const match of text.matchAll(VARIABLE)) {
    parts.push(
      text.slice(end, match.index),
      <span key={match.index} className="cm-template-var">
        {match[0]}
      </span>,
    );
    end = match.index + match[0].length;
  }
  parts.push(text.slice(end));
  return parts;
}

/**
 * A CodeMirror 6 editor for code, JSON and `{{template}}` params. Building the editor is the costly part of showing a
 * node (its theme's styles most of all), so the field first shows its text in a stand-in of the same size and look,
 * and builds the editor when the browser is next idle after that frame, or at once when the stand-in gets focus or a key.
 */
export function CodeField(props: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const language = useRef(new Compartment());
  const [isBuilt, setBuilt] = useState(false);
  // Set when the stand-in was reached: the editor takes focus as soon as it is built, at the point clicked if any.
  const focusOnBuild = useRef<{ x: number; y: number } | 'start' | null>(null);

  // Built when the browser is idle, after the frame that shows the form: building a view is a long task, which would
  // hold up whatever comes next (the next key or click, a check of the page) if it ran right after that paint.
  useEffect(() => whenIdle(() => setBuilt(true), 1000), []);

  // A layout effect: the commit that removes the stand-in also builds the editor, so exactly one of them is on screen
  // (and carries the field's id) at any moment. The view is created once; props are read through `latest`.
  useLayoutEffect(() => {
    if (!isBuilt || !host.current) return;
    const current = latest.current;
    const isTemplate = current.language === 'template';
    const state = EditorState.create({
      // The latest value: it may have changed while the stand-in was shown.
      doc: current.value,
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
        language.current.of(languageExtension(current.language)),
        isTemplate ? templateHighlight : [],
        isTemplate
          ? autocompletion({
              override: [templateCompletions(() => latest.current.variables?.() ?? [])],
              // The list opens only after `{{`, so Enter right away means "take this variable".
              interactionDelay: 0,
            })
          : [],
        current.placeholder ? placeholderExt(current.placeholder) : [],
        EditorView.contentAttributes.of({
          'aria-label': current.ariaLabel,
          id: current.id,
          ...(current.describedBy && { 'aria-describedby': current.describedBy }),
          ...(current.isRequired && { 'aria-required': 'true' }),
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) latest.current.onChange(update.state.doc.toString());
          if (update.focusChanged && !update.view.hasFocus) latest.current.onBlur?.();
        }),
      ],
    });
    const built = new EditorView({ state, parent: host.current });
    view.current = built;
    const target = focusOnBuild.current;
    focusOnBuild.current = null;
    if (target) {
      // A click on the stand-in puts the cursor where it would have gone in the editor (the text lies the same).
      if (target !== 'start') {
        built.dispatch({ selection: { anchor: built.posAtCoords(target) ?? built.state.doc.length } });
      }
      built.focus();
    }
    return () => {
      built.destroy();
      view.current = null;
    };
  }, [isBuilt]);

  // Outside changes (undo, another field) flow into the editor without resetting the cursor needlessly; the stand-in
  // draws `props.value` itself.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  // Set by hand: content attributes are fixed when the view is built. Runs in the commit that builds it (after the
  // build effect), so a view built while the field is invalid says so from the start; the stand-in says it itself.
  useLayoutEffect(() => {
    if (!isBuilt) return;
    const content = view.current?.contentDOM;
    if (props.isInvalid) content?.setAttribute('aria-invalid', 'true');
    else content?.removeAttribute('aria-invalid');
  }, [props.isInvalid, isBuilt]);

  /** Builds the editor now (if the stand-in is still there) and gives it focus. */
  const build = (at: { x: number; y: number } | 'start') => {
    if (view.current) return;
    focusOnBuild.current = at;
    // Synchronous, so the keys that follow already go to the editor.
    flushSync(() => setBuilt(true));
  };

  return (
    <div
      ref={host}
      className={`code-field${props.isInvalid ? ' is-invalid' : ''}`}
      style={{ minHeight: props.minHeight ?? 80 }}
      data-testid={props.testId}
    >
      {isBuilt ? null : (
        // The editor's stand-in: a textbox like the editor's content, named and described the same way.
        // biome-ignore lint/a11y/useSemanticElements: a multi-line textbox that becomes the editor's content on focus.
        <div
          id={props.id}
          className="code-field-stand-in"
          role="textbox"
          tabIndex={0}
          aria-multiline="true"
          aria-label={props.ariaLabel}
          aria-describedby={props.describedBy}
          aria-required={props.isRequired || undefined}
          aria-invalid={props.isInvalid || undefined}
          aria-placeholder={props.placeholder}
          onMouseDown={(event) => {
            if (event.button !== 0) return;
            // The stand-in never takes focus from a click: the editor does, at the point clicked.
            event.preventDefault();
            build({ x: event.clientX, y: event.clientY });
          }}
          onFocus={() => build('start')}
          onKeyDown={() => build('start')}
        >
          {props.value ? (
            standInText(props.value, props.language === 'template')
          ) : props.placeholder ? (
            <span className="code-field-placeholder" aria-hidden="true">
              {props.placeholder}
            </span>
          ) : null}
        </div>
      )}
    </div>
  );
}
