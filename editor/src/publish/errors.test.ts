import { describe, expect, it } from 'vitest';
import { HttpError } from '../api/http';
import { describePublishError } from './errors';

const pattern = 'must match pattern "^(\\*|https?://[^/\\s]+)$"';

describe('describePublishError', () => {
  it('ties bad origins to the origins field, naming each one', () => {
    const err = new HttpError(400, {
      code: 'VALIDATION_FAILED',
      message: `body.settings.allowedOrigins.0 ${pattern} (and 1 more)`,
      details: [
        { field: 'body.settings.allowedOrigins.0', message: pattern },
        { field: 'body.settings.allowedOrigins.2', message: pattern },
      ],
    });
    const view = describePublishError(err, ['not', 'https://ok.example', 'origin']);
    expect(view.message).toBe('Check the marked fields.');
    expect(view.fields.origins).toEqual(['“not” is not an origin', '“origin” is not an origin']);
    expect(view.problems).toEqual([]);
  });

  it("lists a flow's problems from the error details", () => {
    const err = new HttpError(400, {
      code: 'FLOW_INVALID',
      message: 'flow "x" has 1 problem(s): fix them before publishing',
      details: [{ nodeId: 'llm', code: 'PORT_REQUIRED', message: 'input "prompt" is not connected' }],
    });
    const view = describePublishError(err, []);
    expect(view.problems).toEqual(['llm: input "prompt" is not connected']);
    expect(view.fields).toEqual({});
  });

  it('keeps details that name no field in the message', () => {
    const err = new HttpError(400, {
      code: 'VALIDATION_FAILED',
      message: 'body.fromVersion must be integer',
      details: [{ field: 'body.fromVersion', message: 'must be integer' }],
    });
    expect(describePublishError(err, []).message).toBe('body.fromVersion must be integer');
    expect(describePublishError(new Error('offline'), [])).toEqual({ message: 'offline', fields: {}, problems: [] });
  });
});
