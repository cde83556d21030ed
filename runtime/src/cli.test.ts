import { describe, expect, it } from 'vitest';
import { cli } from './cli.js';
import { ENVIRONMENT } from './config.js';

describe('flowloom --help', () => {
  it('lists the commands and every environment variable the runtime reads, with its default', async () => {
    let out = '';
    const code = await cli(['--help'], {}, { stdout: (text) => (out += text), stderr: () => {} });
    expect(code).toBe(0);
    for (const command of [
      'serve',
      'run <file.flow.json|flow-id>',
      'validate <file.flow.json>',
      'test [files or folders]',
    ]) {
      expect(out).toContain(`  ${command}`);
    }
    for (const variable of ENVIRONMENT) expect(out).toMatch(new RegExp(`^  ${variable.name} `, 'm'));
    expect(out).toMatch(/^ {2}FLOWLOOM_RUN_TIMEOUT_MS .*Default: 120000\.$/ms);
    const environment = out.slice(out.indexOf('Environment:')).split('\n');
    expect(environment.filter((line) => line.length > 100)).toEqual([]);
  });
});
