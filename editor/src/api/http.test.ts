import { afterEach, describe, expect, it, vi } from 'vitest';
import { publishApi } from '../publish/api';
import { api, HttpError } from './http';

const unauthorized = vi.hoisted(() => vi.fn());
vi.mock('../auth/token', () => ({ authHeaders: () => ({}), reportUnauthorized: unauthorized }));

afterEach(() => {
  vi.unstubAllGlobals();
  unauthorized.mockReset();
});

function answer(status: number, text: string) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response(text, { status })),
  );
}

describe('the fetch wrapper (every editor API call, publishing and keys included)', () => {
  it('turns an unreachable runtime into HttpError 0', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))),
    );
    const err = await publishApi.keys().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 0, message: expect.stringContaining('cannot be reached') });
  });

  it('reads an answer that is not JSON as no body', async () => {
    answer(502, '<html>Bad gateway</html>');
    await expect(publishApi.versions('f')).rejects.toMatchObject({ status: 502, body: { code: 'INTERNAL' } });
  });

  it("throws the runtime's error body, and reports a 401 to the sign-in screen", async () => {
    answer(401, JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'token needed' } }));
    await expect(api.flows()).rejects.toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
    expect(unauthorized).toHaveBeenCalledOnce();
  });

  it('asks run requests to answer at once', async () => {
    answer(202, JSON.stringify({ runId: 'r_1', status: 'running' }));
    expect(await api.startRun('f', { inputs: {} })).toEqual({ runId: 'r_1', status: 'running' });
    const init = vi.mocked(fetch).mock.calls[0]?.[1];
    expect(init?.headers).toMatchObject({ prefer: 'respond-async', 'content-type': 'application/json' });
  });
});
