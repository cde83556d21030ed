// The soak's window into the server it loads (scripts/soak.mjs), not part of the product: preloaded with
// `node --require` into `flowloom serve`, so it runs in the main thread and in every worker thread (Node preloads
// `--require` modules into workers too: the store's writer thread, the sandbox pool, the span exporter). The soak asks
// over the IPC channel; the main thread asks the worker threads over a BroadcastChannel and answers for all of them.
//
//   {probe: 'memory', id, gc?: boolean} → {probe: 'memory', id, threads: [{thread, threadId, heapUsed, ...}]}
//   {probe: 'snapshot', id, path}       → {probe: 'snapshot', id, path}: the main thread's heap after a full GC
//
// With `gc`, every thread first runs full garbage collections: what is left is what is retained,
// and the RSS that goes away with them is memory V8 held but did not need. The product never does this on its own.
// A heap snapshot costs the process memory of its own (V8 builds the graph with malloc, and glibc keeps much of it):
// RSS read after one is not comparable.
'use strict';
const v8 = require('node:v8');
const vm = require('node:vm');
const { BroadcastChannel, isMainThread, threadId, workerData } = require('node:worker_threads');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
v8.setFlagsFromString('--no-expose-gc');

/** How long the main thread waits for the worker threads' answers (a sandbox worker may be running a script). */
const ANSWER_WAIT_MS = 1_000;
/** How long a thread waits after its collections before measuring: V8 gives freed pages back in the background. */
const GC_SETTLE_MS = 1_000;
const channel = new BroadcastChannel('flowloom-soak-probe');
channel.unref();

/** Which thread this is, from what it was started with (the product's workers pass distinct `workerData`). */
function threadName() {
  if (isMainThread) return 'main';
  if (workerData && typeof workerData === 'object') {
    if ('syncPort' in workerData) return 'store writer';
    if ('config' in workerData && 'version' in workerData) return 'span export';
    return 'sandbox';
  }
  return 'worker';
}

/**
 * A full collection, twice: weak callbacks of the first can free more. Plain `gc()`: Node 20's V8 reads an options
 * object it does not know (`{type: 'major'}`) as a truthy argument, which asks for a minor (young-generation) GC only.
 */
function collect() {
  gc();
  gc();
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * This thread's figures. With `isGc`, after full collections and a second for the pages V8 freed to be given back to
 * the system (in the background), so RSS read after it shows what the collection returned.
 */
async function measure(isGc) {
  if (isGc) {
    collect();
    await pause(GC_SETTLE_MS);
  }
  const { heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  const heap = v8.getHeapStatistics();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((space) => [space.space_name, space]));
  return {
    thread: threadName(),
    threadId,
    heapUsed,
    heapTotal,
    external,
    arrayBuffers,
    /** The young generation's reserved size: it grows under a high allocation rate. */
    newSpace: spaces.new_space?.space_size ?? 0,
    oldSpace: spaces.old_space?.space_size ?? 0,
    codeSpace: spaces.code_space?.space_size ?? 0,
    largeObjectSpace: spaces.large_object_space?.space_size ?? 0,
    /** Memory V8 itself took with malloc (not the heap): zone memory of the compilers and the GC. */
    mallocedMemory: heap.malloced_memory,
    usedBySpace: Object.fromEntries(Object.entries(spaces).map(([name, space]) => [name, space.space_used_size])),
    nativeContexts: heap.number_of_native_contexts,
    detachedContexts: heap.number_of_detached_contexts,
  };
}

/** The main thread: worker threads that said hello (by thread id), and the question being answered. */
const workers = new Set();
let asking;
let nextId = 0;

/** Every thread's figures: the main thread's own, and the answers of the worker threads within the wait. */
async function everyThread(isGc) {
  const id = `m${++nextId}`;
  const answers = new Map();
  const answered = new Promise((resolve) => {
    const timer = setTimeout(resolve, ANSWER_WAIT_MS + (isGc ? GC_SETTLE_MS : 0));
    asking = {
      id,
      answers,
      done: () => {
        clearTimeout(timer);
        resolve();
      },
    };
  });
  channel.postMessage({ type: 'ask', id, gc: isGc });
  // The main thread's own figures after the workers were asked, so their collections overlap with its own.
  const main = await measure(isGc);
  if (workers.size > 0) await answered;
  asking = undefined;
  // A worker that did not answer in time (busy, or ended since) is dropped; it says hello again by answering.
  for (const threadId of workers) if (!answers.has(threadId)) workers.delete(threadId);
  return [main, ...[...answers.values()].sort((a, b) => a.threadId - b.threadId)];
}

if (isMainThread) {
  channel.onmessage = ({ data }) => {
    if (data.type === 'hello') workers.add(data.threadId);
    if (data.type === 'answer' && asking?.id === data.id) {
      workers.add(data.figures.threadId);
      asking.answers.set(data.figures.threadId, data.figures);
      if (asking.answers.size >= workers.size) asking.done();
    }
  };
  process.on('message', (message) => {
    if (!message || typeof message.probe !== 'string' || typeof process.send !== 'function') return;
    const { probe, id } = message;
    const reply = (answer) => process.send({ probe, id, ...answer });
    if (probe === 'memory') {
      everyThread(message.gc === true).then(
        (threads) => reply({ threads }),
        (err) => reply({ error: String(err) }),
      );
    } else if (probe === 'snapshot') {
      try {
        collect();
        reply({ path: v8.writeHeapSnapshot(message.path) });
      } catch (err) {
        reply({ error: String(err) });
      }
    }
  });
  process.channel?.unref();
} else {
  channel.onmessage = ({ data }) => {
    if (data.type !== 'ask') return;
    measure(data.gc === true).then((figures) => channel.postMessage({ type: 'answer', id: data.id, figures }));
  };
  channel.postMessage({ type: 'hello', threadId });
}
