import { parentPort, workerData } from 'node:worker_threads';
import type { OtlpConfig } from '../config.js';
import type { CompactRun } from './compact-run.js';
import { RunSpanBuilder } from './run-spans.js';

// The export worker: builds the spans of finished runs and sends them (OpenTelemetry SDK, batch processor, OTLP/HTTP
// exporter) off the runtime's main thread. Messages in: `{runs}` (a batch of finished runs as JSON text),
// `{close: true}`. Out:
// `{ready: true}` once it can export, `{error, spans}` for each failed export, `{closed: true}` once everything queued
// is sent (or given up).

const { config, version } = workerData as { config: OtlpConfig; version: string };
const port = parentPort;
if (!port) throw new Error('span-worker runs as a worker thread');
const builder = new RunSpanBuilder(config, version, (error, spans) => port.postMessage({ error, spans }));
port.postMessage({ ready: true });

port.on('message', (message: { runs?: string; close?: boolean }) => {
  const runs = message.runs === undefined ? [] : (JSON.parse(message.runs) as CompactRun[]);
  for (const run of runs) {
    try {
      builder.add(run);
    } catch (err) {
      port.postMessage({ error: `a run's spans could not be built: ${String(err)}`, spans: 0 });
    }
  }
  if (message.close) {
    void builder.close().then(() => port.postMessage({ closed: true }));
  }
});
