import { HighlightStyle } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';

/**
 * Syntax colours for code fields, as the theme's CSS variables (`--code-*` in styles.css), so one style serves the
 * dark and the light theme. Every colour is at least 4.5:1 against the input background of its theme (the lowest,
 * dark comments, 6:1; light strings and numbers, 6:1); CodeMirror's default style falls to 1.4-2.8:1 on dark.
 */
export const codeHighlightStyle = HighlightStyle.define([
  {
    tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.operatorKeyword, t.definitionKeyword],
    color: 'var(--code-keyword)',
  },
  { tag: [t.string, t.special(t.string), t.character], color: 'var(--code-string)' },
  { tag: [t.number, t.bool, t.null, t.atom, t.unit], color: 'var(--code-number)' },
  { tag: [t.regexp, t.escape], color: 'var(--code-regexp)' },
  { tag: [t.comment, t.lineComment, t.blockComment, t.docComment], color: 'var(--code-comment)', fontStyle: 'italic' },
  { tag: [t.propertyName, t.attributeName], color: 'var(--code-property)' },
  { tag: [t.function(t.variableName), t.function(t.propertyName)], color: 'var(--code-function)' },
  { tag: [t.definition(t.variableName), t.definition(t.propertyName)], color: 'var(--code-definition)' },
  { tag: [t.typeName, t.className, t.namespace], color: 'var(--code-type)' },
  { tag: [t.variableName, t.self, t.labelName], color: 'var(--code-variable)' },
  { tag: [t.operator, t.punctuation, t.separator, t.bracket], color: 'var(--code-punctuation)' },
  { tag: [t.meta, t.processingInstruction], color: 'var(--code-meta)' },
  { tag: t.link, color: 'var(--code-property)', textDecoration: 'underline' },
  { tag: t.heading, color: 'var(--code-variable)', fontWeight: 'bold' },
  { tag: t.emphasis, fontStyle: 'italic' },
  { tag: t.strong, fontWeight: 'bold' },
  { tag: t.strikethrough, textDecoration: 'line-through' },
  { tag: t.invalid, color: 'var(--code-invalid)' },
]);
