import { AppError, type SandboxRunOptions, type SandboxService } from '@flowloom/nodes';
import {
  newQuickJSWASMModule,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten';

/** Limits of the sandbox; node params may lower them, never raise them past the maximums. */
export interface SandboxConfig {
  defaultTimeoutMs?: number;
  maxTimeoutMs?: number;
  defaultMemoryBytes?: number;
  maxMemoryBytes?: number;
  /** Largest JSON result accepted back from a script. */
  maxResultBytes?: number;
  /** Largest script accepted. */
  maxCodeLength?: number;
  /** console.log lines passed on per run; later ones are dropped. */
  maxLogLines?: number;
}

const DEFAULTS: Required<SandboxConfig> = {
  defaultTimeoutMs: 1_000,
  maxTimeoutMs: 30_000,
  defaultMemoryBytes: 32 * 1024 * 1024,
  maxMemoryBytes: 256 * 1024 * 1024,
  maxResultBytes: 10 * 1024 * 1024,
  maxCodeLength: 200_000,
  maxLogLines: 200,
};

// QuickJS checks its own stack limit; past ~384 KiB the wasm frames exhaust Node's native stack first.
const MAX_STACK_BYTES = 256 * 1024;
const FILE_NAME = 'code.js';
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const RESERVED = new Set(['arguments', 'eval', 'this', 'await', 'yield', 'let', 'static', 'undefined', 'globalThis']);
const LOG_LINE_MAX = 2_000;

interface SandboxState {
  timedOut: boolean;
  /** Characters of wrapper before the user's first line, to report line-1 columns as the user sees them. */
  prefixLength: number;
}

interface ScriptError {
  name?: string;
  message?: string;
  stack?: string;
}

/**
 * JavaScript in QuickJS compiled to WebAssembly: each run gets a fresh runtime and context with a memory limit,
 * a stack limit and an interrupt handler for the deadline. The context has no module loader and no host objects
 * except `console`, so `require`, `process`, `fetch`, `import` and the file system do not exist inside it.
 */
export class QuickJsSandbox implements SandboxService {
  readonly #config: Required<SandboxConfig>;
  #module?: Promise<QuickJSWASMModule>;

  constructor(config: SandboxConfig = {}) {
    this.#config = { ...DEFAULTS, ...config };
  }

  async run(code: string, args: Record<string, unknown>, options: SandboxRunOptions): Promise<unknown> {
    const config = this.#config;
    if (typeof code !== 'string') throw new AppError('SANDBOX_ERROR', 'the script must be a string');
    if (code.length > config.maxCodeLength) {
      throw new AppError('SANDBOX_ERROR', `the script is longer than ${config.maxCodeLength} characters`);
    }
    const names = Object.keys(args);
    for (const name of names) {
      if (!IDENTIFIER.test(name) || RESERVED.has(name)) {
        throw new AppError('SANDBOX_ERROR', `"${name}" cannot be a script argument name`);
      }
    }
    let json: string[];
    try {
      json = names.map((name) => JSON.stringify(args[name] ?? null));
    } catch (err) {
      throw new AppError('SANDBOX_ERROR', 'the script inputs are not JSON', { cause: err });
    }
    const timeoutMs = clamp(options.timeoutMs ?? config.defaultTimeoutMs, 1, config.maxTimeoutMs);
    const memoryBytes = clamp(options.memoryBytes ?? config.defaultMemoryBytes, 1024 * 1024, config.maxMemoryBytes);
    options.signal.throwIfAborted();

    const module = await this.#getModule();
    options.signal.throwIfAborted();
    const runtime = module.newRuntime();
    const deadline = Date.now() + timeoutMs;
    const state: SandboxState = { timedOut: false, prefixLength: 0 };
    runtime.setMemoryLimit(memoryBytes);
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    runtime.setInterruptHandler(() => {
      if (options.signal.aborted || Date.now() > deadline) {
        state.timedOut = true;
        return true;
      }
      return false;
    });
    const vm = runtime.newContext();
    const handles: QuickJSHandle[] = [];
    try {
      this.#installConsole(vm, handles, options.onLog);
      const prefix = `(async function (${names.join(', ')}) {"use strict";`;
      state.prefixLength = prefix.length;
      const fnResult = vm.evalCode(`${prefix}${code}\n})`, FILE_NAME);
      const fn = unwrap(vm, fnResult, handles, state, options.signal, timeoutMs, memoryBytes);
      const parse = track(handles, vm.getProp(track(handles, vm.getProp(vm.global, 'JSON')), 'parse'));
      const argHandles = json.map((text) => {
        const str = track(handles, vm.newString(text));
        return unwrap(
          vm,
          vm.callFunction(parse, vm.undefined, str),
          handles,
          state,
          options.signal,
          timeoutMs,
          memoryBytes,
        );
      });
      const promise = unwrap(
        vm,
        vm.callFunction(fn, vm.undefined, ...argHandles),
        handles,
        state,
        options.signal,
        timeoutMs,
        memoryBytes,
      );
      drainJobs(runtime, vm, handles, state, options.signal, timeoutMs, memoryBytes);
      const settled = vm.getPromiseState(promise);
      if (settled.type === 'pending') {
        throw new AppError('SANDBOX_ERROR', 'the script never finished: it awaits something that never resolves');
      }
      if (settled.type === 'rejected') {
        track(handles, settled.error);
        throw scriptError(vm, settled.error, state, options.signal, timeoutMs, memoryBytes);
      }
      const value = track(handles, settled.value);
      if (vm.typeof(value) === 'undefined') return undefined;
      const stringify = track(handles, vm.getProp(track(handles, vm.getProp(vm.global, 'JSON')), 'stringify'));
      const text = unwrap(
        vm,
        vm.callFunction(stringify, vm.undefined, value),
        handles,
        state,
        options.signal,
        timeoutMs,
        memoryBytes,
      );
      if (vm.typeof(text) !== 'string') return undefined; // functions and symbols have no JSON form
      const out = vm.getString(text);
      if (out.length > config.maxResultBytes) {
        throw new AppError(
          'SANDBOX_MEMORY',
          `the script's result is larger than ${config.maxResultBytes} bytes of JSON`,
        );
      }
      return JSON.parse(out) as unknown;
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (options.signal.aborted) throw options.signal.reason;
      // A host-level failure (the WebAssembly engine itself): start from a fresh module next time.
      this.#module = undefined;
      throw new AppError('SANDBOX_ERROR', `the sandbox failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    } finally {
      try {
        for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
        vm.dispose();
        runtime.dispose();
      } catch {
        // QuickJS can assert while freeing a runtime that ran out of memory; the module is then unusable.
        this.#module = undefined;
      }
    }
  }

  #getModule(): Promise<QuickJSWASMModule> {
    this.#module ??= newQuickJSWASMModule();
    return this.#module;
  }

  /** `console.log/info/warn/error/debug` forward to `onLog`, bounded in count and length. */
  #installConsole(vm: QuickJSContext, handles: QuickJSHandle[], onLog?: (line: string) => void): void {
    let lines = 0;
    const log = track(
      handles,
      vm.newFunction('log', (...parts: QuickJSHandle[]) => {
        if (!onLog || lines >= this.#config.maxLogLines) return;
        lines++;
        const text = parts
          .map((part) => {
            const value = vm.dump(part) as unknown;
            return typeof value === 'string' ? value : safeJson(value);
          })
          .join(' ');
        onLog(text.length > LOG_LINE_MAX ? `${text.slice(0, LOG_LINE_MAX)}…` : text);
      }),
    );
    const consoleObject = track(handles, vm.newObject());
    for (const name of ['log', 'info', 'warn', 'error', 'debug']) vm.setProp(consoleObject, name, log);
    vm.setProp(vm.global, 'console', consoleObject);
  }
}

/** The sandbox service with the given limits. */
export function createSandbox(config: SandboxConfig = {}): SandboxService {
  return new QuickJsSandbox(config);
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : max;
}

function track(handles: QuickJSHandle[], handle: QuickJSHandle): QuickJSHandle {
  handles.push(handle);
  return handle;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

type EvalResult = { value: QuickJSHandle; error?: undefined } | { error: QuickJSHandle; value?: undefined };

function unwrap(
  vm: QuickJSContext,
  result: EvalResult,
  handles: QuickJSHandle[],
  state: SandboxState,
  signal: AbortSignal,
  timeoutMs: number,
  memoryBytes: number,
): QuickJSHandle {
  if (result.error) {
    track(handles, result.error);
    throw scriptError(vm, result.error, state, signal, timeoutMs, memoryBytes);
  }
  return track(handles, result.value as QuickJSHandle);
}

/** Runs queued promise jobs until none are left (there are no timers or I/O, so this ends or is interrupted). */
function drainJobs(
  runtime: QuickJSRuntime,
  vm: QuickJSContext,
  handles: QuickJSHandle[],
  state: SandboxState,
  signal: AbortSignal,
  timeoutMs: number,
  memoryBytes: number,
): void {
  for (;;) {
    const result = runtime.executePendingJobs();
    if (result.error) {
      track(handles, result.error);
      throw scriptError(vm, result.error, state, signal, timeoutMs, memoryBytes);
    }
    if (result.value === 0) return;
  }
}

/** Maps an error thrown inside the script to SANDBOX_TIMEOUT, SANDBOX_MEMORY or SANDBOX_ERROR with its line. */
function scriptError(
  vm: QuickJSContext,
  handle: QuickJSHandle,
  state: SandboxState,
  signal: AbortSignal,
  timeoutMs: number,
  memoryBytes: number,
): unknown {
  let dumped: unknown;
  try {
    dumped = vm.dump(handle);
  } catch {
    dumped = { name: 'InternalError', message: 'out of memory' };
  }
  // QuickJS throws null when it cannot even allocate the "out of memory" error (a script's own `throw null` lands
  // here too, which is reported the same way).
  if (dumped === null) {
    return new AppError(
      'SANDBOX_MEMORY',
      `the script used more than ${Math.round(memoryBytes / 1048576)} MB of memory`,
    );
  }
  const error: ScriptError =
    typeof dumped === 'object' ? (dumped as ScriptError) : { name: 'Error', message: safeJson(dumped) };
  const name = typeof error.name === 'string' ? error.name : 'Error';
  const message = typeof error.message === 'string' ? error.message : safeJson(dumped);
  if (name === 'InternalError' && message === 'interrupted' && state.timedOut) {
    if (signal.aborted) return signal.reason;
    return new AppError('SANDBOX_TIMEOUT', `the script ran longer than ${timeoutMs} ms and was stopped`);
  }
  if (name === 'InternalError' && message === 'out of memory') {
    return new AppError(
      'SANDBOX_MEMORY',
      `the script used more than ${Math.round(memoryBytes / 1048576)} MB of memory`,
    );
  }
  if (/^(InternalError|RangeError)$/.test(name) && /too long|invalid array length|out of memory/i.test(message)) {
    return new AppError('SANDBOX_MEMORY', `the script allocated too much: ${message}`);
  }
  const location = /code\.js:(\d+)(?::(\d+))?/.exec(error.stack ?? '');
  const line = location ? Number(location[1]) : undefined;
  const rawColumn = location?.[2] ? Number(location[2]) : undefined;
  const column = rawColumn !== undefined && line === 1 ? Math.max(1, rawColumn - state.prefixLength) : rawColumn;
  const text = `${name}: ${message.slice(0, 1_000)}${line !== undefined ? ` (line ${line})` : ''}`;
  return new AppError('SANDBOX_ERROR', text, {
    details: [
      {
        name,
        message: message.slice(0, 1_000),
        ...(line !== undefined && { line }),
        ...(column !== undefined && { column }),
      },
    ],
  });
}
