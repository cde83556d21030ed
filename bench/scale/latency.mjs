// Event delay probe for bench/scale, in its own process: a socket.io client subscribed to a flow on one api process,
// while this process starts runs one after another (JSON requests). For every trace event it receives it records
// now − event.at: the time from the event's emission (in a worker, or in the process itself in `all` mode) to this
// client. `at` has millisecond resolution, so each figure is late by 0.5 ms on average.
// `node latency.mjs '<json>'` with {url, flowId, body, runs} → one JSON line {events, p50, p90, p99}.
import http from 'node:http';
import { io } from 'socket.io-client';

const config = JSON.parse(process.argv[2]);
const delays = [];
const socket = io(`${config.url}/traces`, { transports: ['websocket'], reconnection: false });
socket.on('trace', (event) => {
  delays.push(performance.timeOrigin + performance.now() - Date.parse(event.at));
});
await new Promise((resolve, reject) => {
  socket.on('connect_error', reject);
  socket.on('connect', () => socket.emit('subscribe', { flowId: config.flowId }, resolve));
});
const target = new URL(`${config.url}/api/flows/${config.flowId}/runs`);
const body = Buffer.from(JSON.stringify(config.body));
function once() {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
for (let n = 0; n < config.runs; n++) await once();
// The last events may still be on their way: a moment for them.
await new Promise((resolve) => setTimeout(resolve, 200));
socket.close();
const sorted = delays.sort((a, b) => a - b);
const at = (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
console.log(JSON.stringify({ events: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99) }));
