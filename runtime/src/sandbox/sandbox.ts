import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import {
  AppError,
  type ErrorCode,
  findValueProblem,
  type SandboxRunOptions,
  type SandboxService,
} from '@flowloom/nodes';
import {
  newQuickJSWASMModule,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  RELEASE_SYNC,
} from 'quickjs-emscripten';
import { spawnServiceWorker } from '../platform/worker-module.js';
import type { SandboxJob, SandboxReply } from './sandbox-worker.js';

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
const WASM_PAGE = 64 * 1024;
/** The WebAssembly memory the QuickJS build starts with (its stack, static data and first heap): 256 pages. */
export const BASE_MEMORY_BYTES = 256 * WASM_PAGE;

/** What this module uses of a WebAssembly memory. */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** The `WebAssembly` global, which the Node types here describe only as a namespace of types. */
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
      compile(bytes: Uint8Array): Promise<WebAssembly.Module>;
    };
  }
).WebAssembly;

/** The QuickJS build, compiled once per thread; each script gets an instance of its own with its own memory. */
let compiled: Promise<WebAssembly.Module> | undefined;
function compiledQuickJs(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const fromQuickJs = createRequire(createRequire(import.meta.url).resolve('quickjs-emscripten'));
    const bytes = await readFile(fromQuickJs.resolve('@jitl/quickjs-wasmfile-release-sync/wasm'));
    return wasm.compile(bytes);
  })();
  compiled.catch(() => {
    compiled = undefined;
  });
  return compiled;
}
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
 * JavaScript in QuickJS compiled to WebAssembly: each run gets an instance of its own, whose WebAssembly memory cannot
 * grow past `BASE_MEMORY_BYTES` plus the script's memory limit (so the limit holds however the script allocates: QuickJS's
 * own count misses allocations in this build), with a stack limit and an interrupt handler for the deadline; the
 * memory is let go when the script ends. The context has no module loader and no host objects except `console`, so
 * `require`, `process`, `fetch`, `import` and the file system do not exist inside it.
 */
export class QuickJsSandbox implements SandboxService {
  readonly #config: Required<SandboxConfig>;
  /** The size of the last script's WebAssembly memory when it ended (the worker pool recycles big workers). */
  lastMemoryBytes = 0;

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

    const memory = new wasm.Memory({
      initial: BASE_MEMORY_BYTES / WASM_PAGE,
      maximum: Math.ceil((BASE_MEMORY_BYTES + memoryBytes) / WASM_PAGE),
    });
    const module = await newQuickJSWASMModule(
      newVariant(RELEASE_SYNC, { wasmModule: await compiledQuickJs(), wasmMemory: memory }),
    );
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
      // JSON.parse is iterative; a value nested deeper than values may be fails here, before it crosses a thread.
      const result = JSON.parse(out) as unknown;
      const deep = findValueProblem(result, { prefix: 'result' });
      if (deep) throw new AppError('VALUE_TOO_DEEP', `the script's ${deep.path} ${deep.message}`);
      return result;
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (options.signal.aborted) throw options.signal.reason;
      // A host-level failure: the WebAssembly engine itself, or its memory at its maximum outside QuickJS's checks.
      if (memory.buffer.byteLength >= BASE_MEMORY_BYTES + memoryBytes) throw memoryError(memoryBytes);
      throw new AppError('SANDBOX_ERROR', `the sandbox failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    } finally {
      this.lastMemoryBytes = memory.buffer.byteLength;
      try {
        for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
        vm.dispose();
        runtime.dispose();
      } catch {
        // QuickJS can assert while freeing a runtime that ran out of memory: the instance is dropped either way.
      }
    }
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

/** Worker threads of the sandbox pool when FLOWLOOM_SANDBOX_WORKERS is unset. */
export const DEFAULT_SANDBOX_WORKERS = 4;

/** A worker whose last script's memory grew past this is ended after it, so the memory goes back to the system. */
const RECYCLE_MEMORY_BYTES = BASE_MEMORY_BYTES + 64 * 1024 * 1024;

/**
 * A worker left idle this long is ended: an idle worker holds about 14 MB (its V8 heap and the compiled QuickJS
 * module), which a burst of scripts would otherwise keep for good; a fresh one starts on demand (a few hundred ms).
 */
export const DEFAULT_SANDBOX_IDLE_MS = 60_000;

/** Options of the worker pool. */
export interface WorkerSandboxConfig extends SandboxConfig {
  /** Worker threads running scripts at once (FLOWLOOM_SANDBOX_WORKERS, default 4). */
  workers?: number;
  /** Time past a script's own limit after which its worker is killed if it has not answered. */
  graceMs?: number;
  /** Past this WebAssembly memory, a worker is ended after its script (default: 64 MiB above the base). */
  recycleMemoryBytes?: number;
  /** A worker idle this long is ended (default `DEFAULT_SANDBOX_IDLE_MS`). */
  idleMs?: number;
}

interface PendingJob {
  job: SandboxJob;
  key: string;
  options: SandboxRunOptions;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  slot?: WorkerSlot;
  timer?: ReturnType<typeof setTimeout>;
}

interface WorkerSlot {
  worker: Worker;
  job?: PendingJob;
  /** Ends the worker once it has been idle `idleMs` (set while it is in the idle list). */
  idleTimer?: ReturnType<typeof setTimeout>;
}

/** A worker thread that loads `sandbox-worker`. */
function spawnWorker(config: SandboxConfig): Worker {
  return spawnServiceWorker(import.meta.url, 'sandbox-worker', { workerData: config });
}

/**
 * The sandbox as a pool of worker threads, each with its own QuickJS: scripts never block the runtime's event loop,
 * a cancelled run ends its script at once (the worker is terminated and replaced), and a watchdog kills a worker
 * that overruns its deadline by more than `graceMs`. Scripts are queued fairly by `key` (a run): the next script is
 * one of the key holding the fewest workers (the longest waiting among them), and one key holds at most all workers
 * but one, so one run's long scripts never keep another run's scripts waiting for a worker. A worker whose script
 * grew its memory past `recycleMemoryBytes` is ended afterwards, and one left idle for `idleMs` is ended too, so that
 * memory is returned.
 */
export class WorkerSandbox implements SandboxService {
  readonly #config: Required<SandboxConfig>;
  readonly #size: number;
  readonly #graceMs: number;
  readonly #recycleBytes: number;
  readonly #idleMs: number;
  readonly #idle: WorkerSlot[] = [];
  readonly #queue: PendingJob[] = [];
  /** Workers held per key. */
  readonly #held = new Map<string, number>();
  #live = 0;
  #nextId = 0;
  #closed = false;

  constructor(config: WorkerSandboxConfig = {}) {
    const { workers, graceMs, recycleMemoryBytes, idleMs, ...limits } = config;
    this.#config = { ...DEFAULTS, ...limits };
    this.#size = Math.max(1, workers ?? DEFAULT_SANDBOX_WORKERS);
    this.#graceMs = graceMs ?? 2_000;
    this.#recycleBytes = recycleMemoryBytes ?? RECYCLE_MEMORY_BYTES;
    this.#idleMs = idleMs ?? DEFAULT_SANDBOX_IDLE_MS;
  }

  /** Worker threads alive now (busy or idle). */
  get workerCount(): number {
    return this.#live;
  }

  /** How many workers one key may hold at once: all but one, so another key always finds one. */
  get #perKey(): number {
    return Math.max(1, this.#size - 1);
  }

  run(code: string, args: Record<string, unknown>, options: SandboxRunOptions): Promise<unknown> {
    if (this.#closed) return Promise.reject(new AppError('SANDBOX_ERROR', 'the sandbox is closed'));
    if (options.signal.aborted) return Promise.reject(options.signal.reason);
    const job: SandboxJob = {
      id: ++this.#nextId,
      code,
      args,
      timeoutMs: options.timeoutMs,
      memoryBytes: options.memoryBytes,
    };
    return new Promise((resolve, reject) => {
      const pending: PendingJob = { job, key: options.key ?? `job ${job.id}`, options, resolve, reject };
      const onAbort = () => {
        const queued = this.#queue.indexOf(pending);
        if (queued >= 0) this.#queue.splice(queued, 1);
        else if (pending.slot) this.#kill(pending.slot);
        this.#settle(pending, () => reject(options.signal.reason));
      };
      options.signal.addEventListener('abort', onAbort, { once: true });
      pending.resolve = (value) => {
        options.signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
      pending.reject = (err) => {
        options.signal.removeEventListener('abort', onAbort);
        reject(err);
      };
      this.#queue.push(pending);
      this.#pump();
    });
  }

  /** Ends every worker; queued scripts fail with SANDBOX_ERROR. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#queue.splice(0)) {
      pending.reject(new AppError('SANDBOX_ERROR', 'the sandbox was closed'));
    }
    const workers = this.#idle.splice(0).map((slot) => {
      clearTimeout(slot.idleTimer);
      return slot.worker.terminate();
    });
    await Promise.allSettled(workers);
  }

  /** The queued script to start next: of the key holding the fewest workers (below its cap), the oldest. */
  #next(): number {
    let best = -1;
    let bestHeld = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#queue.length; i++) {
      const held = this.#held.get((this.#queue[i] as PendingJob).key) ?? 0;
      if (held < bestHeld && held < this.#perKey) {
        best = i;
        bestHeld = held;
        if (held === 0) break;
      }
    }
    return best;
  }

  #pump(): void {
    while (this.#queue.length > 0 && (this.#idle.length > 0 || this.#live < this.#size)) {
      const index = this.#next();
      if (index < 0) return;
      const pending = this.#queue.splice(index, 1)[0] as PendingJob;
      const slot = this.#idle.pop() ?? this.#spawn();
      clearTimeout(slot.idleTimer);
      slot.job = pending;
      pending.slot = slot;
      this.#held.set(pending.key, (this.#held.get(pending.key) ?? 0) + 1);
      slot.worker.ref();
      try {
        slot.worker.postMessage(pending.job);
      } catch (err) {
        // Inputs that cannot cross a thread (functions, symbols): the script never starts.
        slot.job = undefined;
        this.#release(slot);
        this.#settle(pending, () =>
          pending.reject(new AppError('SANDBOX_ERROR', 'the script inputs are not JSON', { cause: err })),
        );
      }
    }
  }

  #spawn(): WorkerSlot {
    const worker = spawnWorker(this.#config);
    const slot: WorkerSlot = { worker };
    this.#live++;
    worker.on('message', (reply: SandboxReply) => this.#onReply(slot, reply));
    const lost = (why: string) => {
      if (!this.#forget(slot)) return;
      const pending = slot.job;
      if (pending)
        this.#settle(pending, () => pending.reject(new AppError('SANDBOX_ERROR', `the sandbox stopped: ${why}`)));
      this.#pump();
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    // An answer that cannot be read on this side (never expected: results are checked in the worker) ends the job.
    worker.on('messageerror', (err) => {
      const pending = slot.job;
      this.#kill(slot);
      if (pending)
        this.#settle(pending, () =>
          pending.reject(new AppError('SANDBOX_ERROR', `the script's answer could not be read: ${err.message}`)),
        );
    });
    return slot;
  }

  #onReply(slot: WorkerSlot, reply: SandboxReply): void {
    const pending = slot.job;
    if (!pending || pending.job.id !== reply.id) return;
    if (reply.type === 'start') {
      // The watchdog starts with the script, not with the worker's own start-up.
      const limit = Math.min(pending.job.timeoutMs ?? this.#config.defaultTimeoutMs, this.#config.maxTimeoutMs);
      pending.timer = setTimeout(() => {
        this.#kill(slot);
        this.#settle(pending, () =>
          pending.reject(new AppError('SANDBOX_TIMEOUT', `the script ran longer than ${limit} ms and was stopped`)),
        );
      }, limit + this.#graceMs);
      return;
    }
    if (reply.type === 'log') {
      pending.options.onLog?.(reply.line);
      return;
    }
    slot.job = undefined;
    if (reply.memoryBytes > this.#recycleBytes) {
      // Its memory goes back to the system with the thread; a fresh worker replaces it on demand.
      this.#forget(slot);
      void slot.worker.terminate();
    } else this.#release(slot);
    if (reply.type === 'done') this.#settle(pending, () => pending.resolve(reply.value));
    else {
      const { code, message, details } = reply.error;
      this.#settle(pending, () => pending.reject(new AppError(code as ErrorCode, message, details ? { details } : {})));
    }
    this.#pump();
  }

  #settle(pending: PendingJob, finish: () => void): void {
    if (pending.timer) clearTimeout(pending.timer);
    pending.timer = undefined;
    if (pending.slot) {
      const held = (this.#held.get(pending.key) ?? 1) - 1;
      if (held > 0) this.#held.set(pending.key, held);
      else this.#held.delete(pending.key);
    }
    pending.slot = undefined;
    finish();
  }

  #release(slot: WorkerSlot): void {
    if (this.#closed) {
      this.#forget(slot);
      void slot.worker.terminate();
      return;
    }
    slot.worker.unref();
    this.#idle.push(slot);
    slot.idleTimer = setTimeout(() => {
      // Still idle (a script would have taken it off the list): its memory goes back with the thread.
      if (this.#idle.includes(slot) && this.#forget(slot)) void slot.worker.terminate();
    }, this.#idleMs);
    slot.idleTimer.unref();
  }

  /** Ends a worker at once (cancel or watchdog); a fresh one replaces it on demand. */
  #kill(slot: WorkerSlot): void {
    slot.job = undefined;
    this.#forget(slot);
    void slot.worker.terminate();
    this.#pump();
  }

  /** Removes a worker from the pool; false when it was already gone. */
  #forget(slot: WorkerSlot): boolean {
    if ((slot as { gone?: boolean }).gone) return false;
    (slot as { gone?: boolean }).gone = true;
    clearTimeout(slot.idleTimer);
    const idle = this.#idle.indexOf(slot);
    if (idle >= 0) this.#idle.splice(idle, 1);
    this.#live--;
    return true;
  }
}

/** The sandbox service with the given limits: a pool of worker threads running QuickJS. */
export function createSandbox(config: WorkerSandboxConfig = {}): WorkerSandbox {
  return new WorkerSandbox(config);
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

function memoryError(memoryBytes: number): AppError {
  return new AppError('SANDBOX_MEMORY', `the script used more than ${Math.round(memoryBytes / 1048576)} MB of memory`);
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
  if (dumped === null) return memoryError(memoryBytes);
  const error: ScriptError =
    typeof dumped === 'object' ? (dumped as ScriptError) : { name: 'Error', message: safeJson(dumped) };
  const name = typeof error.name === 'string' ? error.name : 'Error';
  const message = typeof error.message === 'string' ? error.message : safeJson(dumped);
  if (name === 'InternalError' && message === 'interrupted' && state.timedOut) {
    if (signal.aborted) return signal.reason;
    return new AppError('SANDBOX_TIMEOUT', `the script ran longer than ${timeoutMs} ms and was stopped`);
  }
  if (name === 'InternalError' && message === 'out of memory') return memoryError(memoryBytes);
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
