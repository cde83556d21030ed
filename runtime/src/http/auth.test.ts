import { describe, expect, it } from 'vitest';
import { isAdminExempt } from './auth.js';

describe('admin token rules', () => {
  it('exempts health, the published API and non-API paths only', () => {
    expect(isAdminExempt('/api/health')).toBe(true);
    expect(isAdminExempt('/api/v1/chat/completions')).toBe(true);
    expect(isAdminExempt('/widget.js')).toBe(true);
    expect(isAdminExempt('/')).toBe(true);
    expect(isAdminExempt('/api/flows')).toBe(false);
    expect(isAdminExempt('/api/keys')).toBe(false);
    expect(isAdminExempt('/api/v1flows')).toBe(false);
  });
});
