// Load generator for bench/http, run in its own process so its work does not share the server's event loop.
// `node load.mjs '<json config>'` → prints one JSON line: {n, errors, rps, p50, p99, mean, traceEvents}.
// Config: {url, body, headers, concurrency, durationMs, warmupMs, subscribe?: {url, flowId, batch?}}.
// Keep-alive node:http, `concurrency` loops each with one request in flight; latencies from performance.now().
import http from 'node:http';
import { io } from 'socket.io-client';

const config = JSON.parse(process.argv[2]);
const target = new URL(config.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: config.concurrency });
const body = Buffer.from(JSON.stringify(config.body));
const headers = { 'content-type': 'application/json', 'content-length': body.length, ...config.headers };

function once() {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks)}`));
          const answer = JSON.parse(Buffer.concat(chunks).toString());
          if (answer.status && answer.status !== 'completed') return reject(new Error(`run ${answer.status}`));
          resolve();
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function phase(ms, record) {
  const end = performance.now() + ms;
  const latencies = [];
  let errors = 0;
  let firstError;
  const loop = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await once();
        if (record) latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= String(err);
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: config.concurrency }, loop));
  return { latencies, errors, firstError, elapsed: performance.now() - t0 };
}

let traceEvents = 0;
let socket;
if (config.subscribe) {
  socket = io(`${config.subscribe.url}/traces`, { transports: ['websocket'], reconnection: false });
  socket.on('trace', () => traceEvents++);
  socket.on('traces', (events) => {
    traceEvents += events.length;
  });
  await new Promise((resolve, reject) => {
    socket.on('connect_error', reject);
    socket.on('connect', () =>
      socket.emit('subscribe', { flowId: config.subscribe.flowId, batch: config.subscribe.batch === true }, resolve),
    );
  });
}

const warmup = await phase(config.warmupMs, true);
const warmupN = warmup.latencies.length;
traceEvents = 0;
const { latencies, errors, firstError, elapsed } = await phase(config.durationMs, true);
const sorted = latencies.sort((a, b) => a - b);
const at = (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
console.log(
  JSON.stringify({
    n: sorted.length,
    errors,
    firstError,
    rps: (sorted.length / elapsed) * 1000,
    p50: at(0.5),
    p99: at(0.99),
    mean,
    traceEvents,
    warmupN,
  }),
);
socket?.close();
agent.destroy();
