import { describe, expect, it } from 'vitest';
import { approval } from './approval.js';
import { fakeContext } from './shared/fake-context.js';

const params = { message: 'Send this answer?', timeoutMs: 0 };

describe('approval', () => {
  it('passes the value on "value" when approved, the edited one when there is one', async () => {
    const { ctx } = fakeContext();
    const args = { inputs: { value: 'draft' }, params };
    expect(await approval.execute({ ...args, decision: { isApproved: true } }, ctx)).toEqual({
      value: 'draft',
      approved: true,
    });
    expect(await approval.execute({ ...args, decision: { isApproved: true, value: 'edited' } }, ctx)).toEqual({
      value: 'edited',
      approved: true,
    });
  });

  it('sends a rejected value out on "rejected" only', async () => {
    const { ctx } = fakeContext();
    const out = await approval.execute({ inputs: { value: 'draft' }, params, decision: { isApproved: false } }, ctx);
    expect(out).toEqual({ rejected: 'draft', approved: false });
  });

  it('refuses to execute without a decision, and asks for its own time limit when it has one', async () => {
    const { ctx } = fakeContext();
    await expect(approval.execute({ inputs: { value: 1 }, params }, ctx)).rejects.toMatchObject({
      code: 'APPROVAL_UNSUPPORTED',
    });
    expect(approval.awaitApproval?.({ inputs: { value: 1 }, params })).toEqual({});
    expect(approval.awaitApproval?.({ inputs: { value: 1 }, params: { ...params, timeoutMs: 500 } })).toEqual({
      timeoutMs: 500,
    });
  });
});
