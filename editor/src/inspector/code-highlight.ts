import { HighlightStyle } from '@codemirror/language';
import { tags as t } from '@lezer/highlight';

/**
 * Syntax colours for code fields on the editor's dark input background (--bg-input, #0f121a). Every colour is at
 * least 4.5:1 against it (the lowest, comments, 6:1); CodeMirror's default style is made for light backgrounds and
 * falls to 1.4-2.8:1 here.
 */
export const darkHighlightStyle = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.operatorKeyword, t.definitionKeyword], color: '#c4a7ff' },
  { tag: [t.string, t.special(t.string), t.character], color: '#86efac' },
  { tag: [t.number, t.bool, t.null, t.atom, t.unit], color: '#fdba74' },
  { tag: [t.regexp, t.escape], color: '#f9a8d4' },
  { tag: [t.comment, t.lineComment, t.blockComment, t.docComment], color: '#8a93a7', fontStyle: 'italic' },
  { tag: [t.propertyName, t.attributeName], color: '#7dd3fc' },
  { tag: [t.function(t.variableName), t.function(t.propertyName)], color: '#93c5fd' },
  { tag: [t.definition(t.variableName), t.definition(t.propertyName)], color: '#f0abfc' },
  { tag: [t.typeName, t.className, t.namespace], color: '#fde68a' },
  { tag: [t.variableName, t.self, t.labelName], color: '#e6e9f0' },
  { tag: [t.operator, t.punctuation, t.separator, t.bracket], color: '#cbd5e1' },
  { tag: [t.meta, t.processingInstruction], color: '#5eead4' },
  { tag: t.link, color: '#7dd3fc', textDecoration: 'underline' },
  { tag: t.heading, color: '#e6e9f0', fontWeight: 'bold' },
  { tag: t.emphasis, fontStyle: 'italic' },
  { tag: t.strong, fontWeight: 'bold' },
  { tag: t.strikethrough, textDecoration: 'line-through' },
  { tag: t.invalid, color: '#fca5a5' },
]);
