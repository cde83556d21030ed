import { defineNode } from '../define.js';
import { AppError } from '../spec/index.js';

export const approval = defineNode({
  spec: {
    type: 'approval',
    version: 1,
    title: 'Approval',
    category: 'logic',
    keywords: ['human', 'review', 'approve', 'reject', 'pause', 'hitl', 'sign-off'],
    description:
      'A person decides: the run pauses here until a person approves (optionally editing the value) or rejects it. An approved value goes out on "value", a rejected one on "rejected"; nodes on the other branch are skipped.',
    branching: true,
    inputs: [{ name: 'value', dataType: 'any', required: true, description: 'What the approver sees and may edit.' }],
    outputs: [
      { name: 'value', dataType: 'any', description: 'The value, when approved (as the approver edited it).' },
      { name: 'rejected', dataType: 'any', description: 'The value, when rejected.' },
      { name: 'approved', dataType: 'boolean', description: 'Whether it was approved.' },
    ],
    params: [
      {
        name: 'message',
        kind: 'text',
        default: '',
        maxLength: 10_000,
        description: 'What the approver is asked (shown beside the value).',
      },
      {
        name: 'timeoutMs',
        kind: 'number',
        default: 0,
        min: 0,
        max: 30 * 24 * 3_600_000,
        integer: true,
        description: 'How long to wait for a decision, in ms; 0: the runtime default (FLOWLOOM_PAUSE_TIMEOUT_MS).',
      },
    ],
  },
  awaitApproval({ params }) {
    return params.timeoutMs > 0 ? { timeoutMs: params.timeoutMs } : {};
  },
  async execute({ inputs, decision }, ctx) {
    // The engine executes an approval node only once someone decided: without a decision the run cannot go on.
    if (!decision) throw new AppError('APPROVAL_UNSUPPORTED', 'an approval node runs only after someone decided');
    if (!decision.isApproved) {
      ctx.log('rejected');
      return { rejected: inputs.value, approved: false };
    }
    const isEdited = decision.value !== undefined;
    ctx.log(isEdited ? 'approved with an edited value' : 'approved');
    return { value: isEdited ? decision.value : inputs.value, approved: true };
  },
});
