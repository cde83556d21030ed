import { isAppError } from '@flowloom/nodes';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox } from './sandbox.js';

const sandbox = createSandbox({ defaultTimeoutMs: 500, defaultMemoryBytes: 16 * 1024 * 1024 });
const signal = new AbortController().signal;
afterAll(() => sandbox.close());

async function failure(code: string, args: Record<string, unknown> = {}, timeoutMs?: number) {
  try {
    await sandbox.run(code, args, { signal, timeoutMs });
  } catch (err) {
    if (!isAppError(err)) throw err;
    return { code: err.code, message: err.message, details: err.details };
  }
  throw new Error('the script did not fail');
}

describe('QuickJS sandbox', () => {
  it('runs a script with JSON inputs and returns its JSON result', async () => {
    const result = await sandbox.run(
      'return { sum: inputs.a + inputs.b, list: inputs.list.map((x) => x * 2) };',
      {
        inputs: { a: 2, b: 3, list: [1, 2] },
      },
      { signal },
    );
    expect(result).toEqual({ sum: 5, list: [2, 4] });
  });

  it('supports await and several named arguments', async () => {
    const result = await sandbox.run(
      'const x = await Promise.resolve(a); return x + "-" + b.k;',
      { a: 'v', b: { k: 1 } },
      { signal },
    );
    expect(result).toBe('v-1');
  });

  it('passes console.log lines to onLog', async () => {
    const lines: string[] = [];
    await sandbox.run(
      'console.log("hello", { n: 1 }); console.error(2); return null;',
      {},
      {
        signal,
        onLog: (line) => lines.push(line),
      },
    );
    expect(lines).toEqual(['hello {"n":1}', '2']);
  });

  it('returns undefined for no return value and for values without JSON form', async () => {
    expect(await sandbox.run('const a = 1;', {}, { signal })).toBeUndefined();
    expect(await sandbox.run('return () => 1;', {}, { signal })).toBeUndefined();
  });

  it('stops an infinite loop with SANDBOX_TIMEOUT', async () => {
    const err = await failure('while (true) {}', {}, 100);
    expect(err.code).toBe('SANDBOX_TIMEOUT');
  });

  it('stops an infinite async loop with SANDBOX_TIMEOUT', async () => {
    const err = await failure('for (;;) { await null; }', {}, 100);
    expect(err.code).toBe('SANDBOX_TIMEOUT');
  });

  it('stops unbounded allocation with SANDBOX_MEMORY', async () => {
    const err = await failure('const a = []; for (let i = 0; ; i++) a.push([i, i + 1, i + 2, i + 3]);', {}, 10_000);
    expect(err.code).toBe('SANDBOX_MEMORY');
  });

  it('stops unbounded object allocation with SANDBOX_MEMORY', async () => {
    const err = await failure('const a = []; for (;;) a.push({ x: 1, y: [1, 2, 3] });', {}, 10_000);
    expect(err.code).toBe('SANDBOX_MEMORY');
  });

  it('stops string doubling with SANDBOX_MEMORY', async () => {
    const err = await failure('let s = "x"; for (;;) s += s;', {}, 10_000);
    expect(err.code).toBe('SANDBOX_MEMORY');
  });

  it('reports runaway recursion as a script error, not a crash', async () => {
    const err = await failure('function f() { return f() + 1; }\nreturn f();');
    expect(err.code).toBe('SANDBOX_ERROR');
    expect(err.message).toMatch(/stack overflow/);
  });

  it('reports runtime errors with their line', async () => {
    const err = await failure('const a = 1;\nconst b = null;\nreturn b.x;');
    expect(err.code).toBe('SANDBOX_ERROR');
    expect(err.message).toMatch(/line 3/);
    expect(err.details?.[0]).toMatchObject({ name: 'TypeError', line: 3 });
  });

  it('reports thrown errors and syntax errors with their line', async () => {
    const thrown = await failure('\n\nthrow new Error("boom");');
    expect(thrown).toMatchObject({ code: 'SANDBOX_ERROR', details: [{ message: 'boom', line: 3 }] });
    const syntax = await failure('const a = ;');
    expect(syntax.code).toBe('SANDBOX_ERROR');
    expect(syntax.details?.[0]).toMatchObject({ name: 'SyntaxError', line: 1 });
    const primitive = await failure('throw 42;');
    expect(primitive.code).toBe('SANDBOX_ERROR');
  });

  describe('escape attempts fail with SANDBOX_ERROR', () => {
    const attempts: Record<string, string> = {
      require: 'return require("fs").readFileSync("/etc/passwd", "utf8");',
      process: 'return process.env;',
      fetch: 'return await fetch("http://127.0.0.1/");',
      'dynamic import': 'const fs = await import("fs"); return fs;',
      'node: import': 'const fs = await import("node:fs"); return fs;',
      'static import': 'import fs from "fs";',
      'Function constructor to process': 'return (function () {}).constructor("return process")().env;',
      'globalThis.process': 'return globalThis.process.exit(1);',
      'std module': 'return std.loadFile("/etc/passwd");',
      'os module': 'return os.exec(["ls"]);',
      XMLHttpRequest: 'return new XMLHttpRequest();',
      WebAssembly: 'return WebAssembly.compile(new Uint8Array([0]));',
      setTimeout: 'return await new Promise((r) => setTimeout(r, 10));',
    };
    for (const [name, code] of Object.entries(attempts)) {
      it(name, async () => {
        const err = await failure(code);
        expect(err.code).toBe('SANDBOX_ERROR');
      });
    }

    it('sees no host globals at all', async () => {
      const names = await sandbox.run(
        'return Object.getOwnPropertyNames(globalThis).filter((n) => /^(require|process|fetch|module|Buffer|std|os|setTimeout|XMLHttpRequest|WebAssembly)$/.test(n));',
        {},
        { signal },
      );
      expect(names).toEqual([]);
    });
  });

  it('keeps runs isolated from each other', async () => {
    await sandbox.run('globalThis.leak = 42; Object.prototype.polluted = true;', {}, { signal });
    expect(await sandbox.run('return [typeof leak, ({}).polluted === undefined];', {}, { signal })).toEqual([
      'undefined',
      true,
    ]);
  });

  it('still works after every kind of failure', async () => {
    await failure('while (true) {}', {}, 50);
    await failure('const a = []; for (let i = 0; ; i++) a.push([i, i + 1, i + 2, i + 3]);', {}, 10_000);
    await failure('function f() { return f(); } f();');
    expect(await sandbox.run('return 1 + 1;', {}, { signal })).toBe(2);
  });

  it('refuses a promise that never settles, bad argument names and non-JSON inputs', async () => {
    expect((await failure('await new Promise(() => {});')).message).toMatch(/never finished/);
    expect((await failure('return 1;', { 'not-a-name': 1 })).code).toBe('SANDBOX_ERROR');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect((await failure('return 1;', { inputs: circular })).code).toBe('SANDBOX_ERROR');
  });

  it('keeps the event loop free while a script spins, and ends it at once on cancel', async () => {
    const controller = new AbortController();
    const spinning = sandbox.run('while (true) {}', {}, { signal: controller.signal, timeoutMs: 30_000 });
    const order: string[] = [];
    const settled = spinning.then(
      () => order.push('script'),
      (err: unknown) => order.push(`script failed: ${(err as Error).message}`),
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    order.push('timer');
    controller.abort(new Error('cancelled'));
    await settled;
    expect(order).toEqual(['timer', 'script failed: cancelled']);
    expect(await sandbox.run('return "next";', {}, { signal })).toBe('next');
  });

  it('runs scripts of concurrent nodes in parallel workers', async () => {
    const results = await Promise.all([1, 2, 3, 4].map((n) => sandbox.run('return n * n;', { n }, { signal })));
    expect(results).toEqual([1, 4, 9, 16]);
  });

  it('refuses inputs that cannot leave the thread', async () => {
    const err = await failure('return 1;', { inputs: { fn: () => 1 } });
    expect(err.code).toBe('SANDBOX_ERROR');
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(sandbox.run('return 1;', {}, { signal: controller.signal })).rejects.toThrow('cancelled');
  });
});
