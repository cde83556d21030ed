import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAppError } from '@flowloom/nodes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, httpClientConfigFromEnv, isBlockedAddress } from './http-client.js';

let server: http.Server;
let port = 0;
const hanging = new Set<http.ServerResponse>();
const signal = new AbortController().signal;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (url.pathname === '/json') {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            method: req.method,
            body,
            auth: req.headers.authorization ?? null,
            q: url.searchParams.get('q'),
            key: req.headers['x-api-key'] ?? null,
            type: req.headers['content-type'] ?? null,
          }),
        );
      } else if (url.pathname === '/redirect') {
        res.statusCode = 302;
        res.setHeader('location', url.searchParams.get('to') ?? '/json');
        res.end();
      } else if (url.pathname === '/big') {
        res.end('x'.repeat(4096));
      } else if (url.pathname === '/hang') {
        hanging.add(res);
      } else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    if (isAppError(err)) return err.code;
    throw err;
  }
  throw new Error('the request did not fail');
}

describe('isBlockedAddress', () => {
  it('blocks private, loopback, link-local and embedded IPv4 forms', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '100.64.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      // IPv4-compatible and IPv4-translated forms.
      '::127.0.0.1',
      '::7f00:1',
      '::10.0.0.1',
      '::ffff:0:127.0.0.1',
      '::ffff:0:7f00:1',
      '::ffff:0:a9fe:a9fe',
      '64:ff9b::a00:1',
      'not-an-ip',
    ]) {
      expect(isBlockedAddress(address), address).toBe(true);
    }
  });
  it('lets public addresses through', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111'])
      expect(isBlockedAddress(address), address).toBe(false);
  });
});

describe('guarded HTTP client with the default policy', () => {
  const client = createHttpClient();
  it('refuses loopback by address and by name, after DNS resolution', async () => {
    expect(await failure(client.request({ method: 'GET', url: `http://127.0.0.1:${port}/json` }, { signal }))).toBe(
      'HTTP_ADDRESS_BLOCKED',
    );
    expect(await failure(client.request({ method: 'GET', url: `http://localhost:${port}/json` }, { signal }))).toBe(
      'HTTP_ADDRESS_BLOCKED',
    );
    expect(await failure(client.request({ method: 'GET', url: `http://[::1]:${port}/json` }, { signal }))).toBe(
      'HTTP_ADDRESS_BLOCKED',
    );
    expect(
      await failure(client.request({ method: 'GET', url: `http://[::ffff:127.0.0.1]:${port}/json` }, { signal })),
    ).toBe('HTTP_ADDRESS_BLOCKED');
    expect(
      await failure(client.request({ method: 'GET', url: 'http://169.254.169.254/latest/meta-data' }, { signal })),
    ).toBe('HTTP_ADDRESS_BLOCKED');
    expect(await failure(client.request({ method: 'GET', url: 'http://0x7f000001/' }, { signal }))).toBe(
      'HTTP_ADDRESS_BLOCKED',
    );
  });
  it('refuses other schemes and bad URLs', async () => {
    expect(await failure(client.request({ method: 'GET', url: 'file:///etc/passwd' }, { signal }))).toBe(
      'HTTP_ADDRESS_BLOCKED',
    );
    expect(await failure(client.request({ method: 'GET', url: 'not a url' }, { signal }))).toBe('HTTP_REQUEST_FAILED');
  });
});

describe('guarded HTTP client with private addresses allowed', () => {
  const client = createHttpClient(httpClientConfigFromEnv({ FLOWLOOM_HTTP_ALLOW_PRIVATE: '1' }));
  it('sends method, headers and body and returns status, headers and text', async () => {
    const res = await client.request(
      {
        method: 'post',
        url: `http://127.0.0.1:${port}/json?q=1`,
        headers: { Authorization: 'Bearer t' },
        body: '{"a":1}',
      },
      { signal },
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({
      method: 'POST',
      body: '{"a":1}',
      auth: 'Bearer t',
      q: '1',
      key: null,
      type: null,
    });
  });
  it('follows redirects', async () => {
    const res = await client.request({ method: 'GET', url: `http://127.0.0.1:${port}/redirect` }, { signal });
    expect(res.status).toBe(200);
    expect(res.url).toBe(`http://127.0.0.1:${port}/json`);
  });
  it('sends none of the headers the flow set to another origin on a redirect; keeps them on the same origin', async () => {
    const headers = { 'x-api-key': 'secret', authorization: 'Bearer t', cookie: 'a=b', 'content-type': 'text/x' };
    const same = await client.request({ method: 'GET', url: `http://127.0.0.1:${port}/redirect`, headers }, { signal });
    expect(JSON.parse(same.body)).toMatchObject({ key: 'secret', auth: 'Bearer t' });
    const elsewhere = `http://127.0.0.1:${port}/redirect?to=${encodeURIComponent(`http://localhost:${port}/json`)}`;
    const other = await client.request({ method: 'GET', url: elsewhere, headers }, { signal });
    expect(other.url).toBe(`http://localhost:${port}/json`);
    expect(JSON.parse(other.body)).toMatchObject({ key: null, auth: null, type: null });
  });
  it('caps the response size and the time', async () => {
    expect(
      await failure(client.request({ method: 'GET', url: `http://127.0.0.1:${port}/big`, maxBytes: 100 }, { signal })),
    ).toBe('HTTP_REQUEST_FAILED');
    expect(
      await failure(client.request({ method: 'GET', url: `http://127.0.0.1:${port}/hang`, timeoutMs: 50 }, { signal })),
    ).toBe('HTTP_REQUEST_FAILED');
  });
  it('stops on cancel with the cancel reason', async () => {
    const controller = new AbortController();
    const pending = client.request(
      { method: 'GET', url: `http://127.0.0.1:${port}/hang` },
      { signal: controller.signal },
    );
    controller.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
  });
  it('reports a refused connection', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await failure(client.request({ method: 'GET', url: `http://127.0.0.1:${freePort}/` }, { signal }))).toBe(
      'HTTP_REQUEST_FAILED',
    );
  });
});

describe('guarded HTTP client, private addresses refused', () => {
  it('refuses IPv4-compatible and IPv4-translated IPv6 literals of a loopback address', async () => {
    const client = createHttpClient();
    for (const host of ['[::127.0.0.1]', '[::ffff:0:127.0.0.1]', '[::ffff:127.0.0.1]']) {
      expect(
        await failure(client.request({ method: 'GET', url: `http://${host}:${port}/json` }, { signal })),
        host,
      ).toBe('HTTP_ADDRESS_BLOCKED');
    }
  });
});

describe('guarded HTTP client with an allow-list', () => {
  it('allows listed names and networks only, and checks every redirect hop', async () => {
    const byName = createHttpClient({ allowHosts: ['localhost'] });
    expect((await byName.request({ method: 'GET', url: `http://localhost:${port}/json` }, { signal })).status).toBe(
      200,
    );
    const redirect = `http://localhost:${port}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${port}/json`)}`;
    expect(await failure(byName.request({ method: 'GET', url: redirect }, { signal }))).toBe('HTTP_ADDRESS_BLOCKED');
    const byNetwork = createHttpClient(httpClientConfigFromEnv({ FLOWLOOM_HTTP_ALLOW_HOSTS: '127.0.0.0/8, ::1' }));
    expect((await byNetwork.request({ method: 'GET', url: `http://127.0.0.1:${port}/json` }, { signal })).status).toBe(
      200,
    );
    expect(await failure(byNetwork.request({ method: 'GET', url: 'http://10.0.0.1/' }, { signal }))).toBe(
      'HTTP_ADDRESS_BLOCKED',
    );
  });
});
