import type { EnvVariable } from '../config.js';

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The environment table of README.md, docs/api.md and docs/contracts.md, from `ENVIRONMENT` in config.ts. */
export function renderEnvironment(variables: readonly EnvVariable[]): string {
  return [
    '| variable | default | meaning |',
    '| --- | --- | --- |',
    ...variables.map(
      (variable) =>
        `| \`${variable.name}\` | ${variable.default === undefined ? '' : `\`${variable.default}\``} | ${cell(variable.meaning)} |`,
    ),
  ].join('\n');
}
