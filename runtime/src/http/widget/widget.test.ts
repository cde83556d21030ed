import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../testing/fixtures.js';
import { WIDGET_FILE } from './index.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('GET /widget.js', () => {
  it('serves the built widget as a public, cross-origin script, even with the admin token on', async () => {
    expect(existsSync(WIDGET_FILE)).toBe(true);
    t = await startTestApp({ adminToken: 'sesame' });
    const res = await t.app.inject({ method: 'GET', url: '/widget.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/javascript');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.body).toContain('customElements.define(TAG, FlowloomChat)');
    // The built widget is the current one: it has the thumbs that rate each answer (docs/publishing.md).
    expect(res.body).toContain('/feedback`');
    expect(res.body).toContain("source: 'widget'");
    // A classic script must not contain module syntax.
    expect(res.body).not.toMatch(/^\s*(import|export)\s/m);
  });
});
