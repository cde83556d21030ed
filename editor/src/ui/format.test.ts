import { describe, expect, it } from 'vitest';
import { formatCost } from './format';

describe('formatCost', () => {
  it('shows free calls as $0 and small costs with two significant digits, never as zeros', () => {
    expect(formatCost(0)).toBe('$0');
    expect(formatCost(0.000052)).toBe('$0.000052');
    expect(formatCost(0.0000526)).toBe('$0.000053');
    expect(formatCost(0.0031)).toBe('$0.0031');
    expect(formatCost(0.0000001)).toBe('< $0.000001');
    expect(formatCost(0.5)).toBe('$0.500');
    expect(formatCost(undefined)).toBe('');
  });
});
