const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}/g;

/** The distinct `{{variable}}` names of a template, in order of first appearance. */
export function templateVariables(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(VARIABLE)) names.add(match[1] as string);
  return [...names];
}

/** Fills `{{variable}}` placeholders; a value that is not a string is written as JSON. Unknown names stay as they are. */
export function renderTemplate(template: string, values: Record<string, unknown>): string {
  return template.replace(VARIABLE, (whole, name: string) => {
    if (!(name in values)) return whole;
    const value = values[name];
    if (value === undefined || value === null) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}
