import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeFlow } from '@flowloom/nodes';
import { type FakeOpenAI, startFakeOpenAI } from '@flowloom/test/fake-openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/store.js';
import { BIN, buildBin } from '../testing/bin.js';
import { chatFlow, echoFlow, removeTempDir, tempDir } from '../testing/fixtures.js';

// The built `flowloom` bin, spawned as a user would run it.

let fake: FakeOpenAI;
let dir: string;

beforeAll(async () => {
  buildBin();
  fake = await startFakeOpenAI();
  dir = tempDir('cli');
  writeFileSync(join(dir, 'chat.flow.json'), serializeFlow(chatFlow()));
  const invalid = echoFlow('invalid');
  invalid.edges = [];
  writeFileSync(join(dir, 'invalid.flow.json'), serializeFlow(invalid));
  writeFileSync(join(dir, 'not-json.flow.json'), '{ "format": ');
  const future = chatFlow('future');
  future.nodes = future.nodes.map((node) => (node.id === 'llm' ? { ...node, typeVersion: 99 } : node));
  writeFileSync(join(dir, 'future.flow.json'), serializeFlow(future));
});

afterAll(async () => {
  await fake.close();
  removeTempDir(dir);
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function flowloom(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', FLOWLOOM_DATA: join(dir, 'data'), OPENAI_BASE_URL: fake.url, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('flowloom run', () => {
  it('runs a flow file: progress per node on stderr, outputs JSON on stdout, exit 0', async () => {
    const result = await flowloom(['run', 'chat.flow.json', '--input', 'question=hello there']);
    expect(result.stderr).toMatch(/✓ llm {2}\d+ ms {2}\d+ tok/);
    expect(result.stderr).toMatch(/✓ prompt {2}\d+ ms/);
    expect(JSON.parse(result.stdout)).toEqual({ answer: 'echo: Q: hello there' });
    expect(result.code).toBe(0);
  });

  it('takes inputs as JSON with --json-input and records the run in the data folder', async () => {
    const dataDir = join(dir, 'data-json');
    const result = await flowloom([
      'run',
      'chat.flow.json',
      '--json-input',
      '{"question":"from json"}',
      '--data',
      dataDir,
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ answer: 'echo: Q: from json' });
    const store = SqliteStore.open(dataDir);
    expect(await store.listRuns()).toEqual([expect.objectContaining({ flowId: 'chat', status: 'completed' })]);
    await store.close();
  });

  it('runs a stored flow by id', async () => {
    const dataDir = join(dir, 'data-id');
    const store = SqliteStore.open(dataDir);
    await store.createFlow(echoFlow('stored-echo'));
    await store.close();
    const result = await flowloom(['run', 'stored-echo', '--input', 'question=by id', '--data', dataDir]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ answer: 'by id' });
  });

  it('exits 1 on a failed run, naming the node and error', async () => {
    const result = await flowloom(['run', 'chat.flow.json', '--input', 'question=no [[error:401]]']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/✗ llm .*PROVIDER/);
    expect(result.stderr).toMatch(/failed/);
  });

  it('opens no port and loads neither Fastify nor socket.io: the kernel alone runs the flow', async () => {
    // Loaded before the CLI: records every listen() (any HTTP or socket.io server goes through net.Server) and, at
    // exit, the CommonJS modules loaded (fastify and socket.io are CommonJS: imported from ESM they land there too).
    const probe = join(dir, 'probe.mjs');
    const report = join(dir, 'probe.json');
    writeFileSync(
      probe,
      `import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
const listens = [];
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  listens.push(args[0] ?? null);
  return listen.apply(this, args);
};
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => writeFileSync(${JSON.stringify(report)}, JSON.stringify({ listens, modules: Object.keys(cache) })));
`,
    );
    const result = await flowloom(['run', 'chat.flow.json', '--input', 'question=no port'], {}, ['--import', probe]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ answer: 'echo: Q: no port' });
    const { listens, modules } = JSON.parse(readFileSync(report, 'utf8')) as { listens: unknown[]; modules: string[] };
    expect(listens).toEqual([]);
    const packages = new Set(modules.map((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1]));
    // The probe sees CommonJS packages the run does load (the store's driver), so their absence below means something.
    expect(packages).toContain('better-sqlite3');
    for (const transport of ['fastify', '@fastify/swagger', 'socket.io', 'engine.io', 'ws']) {
      expect(packages, transport).not.toContain(transport);
    }
  });

  it('exits 1 with PROVIDER_NOT_CONFIGURED when no model is configured', async () => {
    const result = await flowloom(['run', 'chat.flow.json', '--input', 'question=hi'], { OPENAI_BASE_URL: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/PROVIDER_NOT_CONFIGURED.*OPENAI_API_KEY/);
  });

  const bad: [string, string[], RegExp][] = [
    ['an unknown flag', ['run', 'chat.flow.json', '--inputt', 'question=x'], /--inputt/],
    ['a missing input', ['run', 'chat.flow.json'], /question/],
    ['an unknown input', ['run', 'chat.flow.json', '--input', 'question=x', '--input', 'colour=red'], /colour/],
    ['an input without =', ['run', 'chat.flow.json', '--input', 'question'], /name=value/],
    ['bad --json-input', ['run', 'chat.flow.json', '--json-input', '{nope'], /--json-input/],
    ['an unreadable file', ['run', 'missing.flow.json'], /missing\.flow\.json/],
    ['a file that is not JSON', ['run', 'not-json.flow.json'], /not valid JSON/],
    ['an invalid flow', ['run', 'invalid.flow.json', '--input', 'question=x'], /answer\.value/],
    ['an unknown flow id', ['run', 'no-such-flow'], /no-such-flow/],
    ['no flow at all', ['run'], /flow file or a flow id/],
    ['an unknown command', ['frobnicate'], /frobnicate/],
    [
      'a data folder that cannot be used',
      ['run', 'chat.flow.json', '--input', 'question=x', '--data', '/proc/self'],
      /"\/proc\/self"/,
    ],
    [
      'a data folder that is a file',
      ['run', 'chat.flow.json', '--input', 'question=x', '--data', 'chat.flow.json'],
      /data folder/,
    ],
  ];
  for (const [name, args, message] of bad) {
    it(`exits 2 on ${name}`, async () => {
      const result = await flowloom(args);
      expect(result.stderr).toMatch(message);
      // One form for every bad-input message: "flowloom: <what>: <why>".
      expect(result.stderr).toMatch(/^flowloom: \S/);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe('flowloom validate', () => {
  it('exits 0 for a valid flow', async () => {
    const result = await flowloom(['validate', 'chat.flow.json']);
    expect(result.stdout).toContain('ok');
    expect(result.code).toBe(0);
  });

  it('prints every problem and exits 1 for an invalid flow; --json gives {ok, problems}', async () => {
    const result = await flowloom(['validate', 'invalid.flow.json']);
    expect(result.stdout).toMatch(/answer\.value: .*INPUT_REQUIRED/);
    expect(result.code).toBe(1);
    const json = await flowloom(['validate', 'invalid.flow.json', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      problems: [expect.objectContaining({ nodeId: 'answer' })],
    });
  });

  it('names a node saved by a newer version of its kind than this runtime has', async () => {
    const result = await flowloom(['validate', 'future.flow.json']);
    expect(result.stdout).toContain(
      'llm: node "llm" was saved by version 99 of kind "llm", newer than version 1 here [NODE_TYPE_VERSION_UNSUPPORTED]',
    );
    expect(result.code).toBe(1);
  });

  it('exits 2 for unreadable files and unknown flags', async () => {
    expect((await flowloom(['validate', 'missing.flow.json'])).code).toBe(2);
    expect((await flowloom(['validate', 'not-json.flow.json'])).code).toBe(2);
    const flag = await flowloom(['validate', 'chat.flow.json', '--strict']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--strict');
  });
});

describe('flowloom serve', () => {
  it('serves the API on the given port and data folder, and stops cleanly on SIGTERM', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--data', join(dir, 'serve-data')],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr?.on('data', (chunk) => {
        stderr += chunk;
        const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', storage: { status: 'ok' } });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(dir, 'serve-data', 'flowloom.db'))).toBe(true);
  });

  it('exits 2 on a bad port', async () => {
    const result = await flowloom(['serve', '--port', 'eighty']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--port');
  });
});

describe('flowloom test', () => {
  it('records with the provider, replays with none (exit 0), fails a missing recording (exit 1), refuses bad files (exit 2)', async () => {
    const test = (question: string) =>
      JSON.stringify({
        format: 'flowloom.test/v1',
        flow: 'chat',
        cases: [
          { name: 'echoes', inputs: { question }, expected: `echo: Q: ${question}`, expect: [{ type: 'exact' }] },
        ],
      });
    writeFileSync(join(dir, 'chat.flowtest.json'), test('recorded'));
    const recorded = await flowloom(['test', 'chat.flowtest.json', '--record']);
    expect(recorded.code).toBe(0);
    expect(existsSync(join(dir, 'chat.flowtest.recordings.json'))).toBe(true);

    const replayed = await flowloom(['test', 'chat.flowtest.json', '--junit', 'junit.xml'], { OPENAI_BASE_URL: '' });
    expect(replayed.stderr).toMatch(/ {2}✓ echoes {2}\d+ ms\n/);
    expect(replayed.stdout).toMatch(/^flowloom test: 1 passed, 0 failed/);
    expect(replayed.code).toBe(0);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('<testcase name="echoes" classname="chat"');

    writeFileSync(join(dir, 'chat.flowtest.json'), test('not recorded'));
    const missing = await flowloom(['test', 'chat.flowtest.json'], { OPENAI_BASE_URL: '' });
    expect(missing.stderr).toContain('RECORDING_NOT_FOUND: node "llm" failed');
    expect(missing.code).toBe(1);

    writeFileSync(join(dir, 'chat.flowtest.json'), '{"format": "flowloom.test/v2"}');
    const bad = await flowloom(['test', 'chat.flowtest.json']);
    expect(bad.stderr).toContain('chat.flowtest.json: format: must be "flowloom.test/v1"');
    expect(bad.code).toBe(2);
  });
});
