// RAG benchmark (`npm run bench -- rag`). Against a real Chroma server started from the npm binding:
// 1. ingest 10,000 chunks with the local embedder through the `ingest` node (split, embed, upsert in batches);
// 2. `retriever` node query latency (p50 / p99) next to the same query made directly with the chromadb client
//    (same collection, same local embedding of the query text), calls alternating in the same run.
// Retrieval quality is reported too: how often the paragraph a query was taken from comes back first / in the top 4.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { NodeRegistry } from '@flowloom/nodes';
import { ChromaClient } from 'chromadb';
import { Documents } from '../../runtime/dist/rag/documents/index.js';
import { Embeddings, localEmbed } from '../../runtime/dist/rag/embeddings.js';
import { ChromaVectors } from '../../runtime/dist/rag/vectors.js';

const quick = process.argv.includes('--quick');
const TARGETS = { ingestSeconds: 30, addedMs: 2 };
const DOCS = quick ? 100 : 500;
const PARAGRAPHS = 20; // per document: one chunk each
const QUERIES = quick ? 100 : 400;
const WARMUP = 30;
const TOP_K = 4;
const COLLECTION = 'bench-rag';

const round = (value, digits = 3) => Number(value.toFixed(digits));
function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), min: sorted[0] ?? 0, n: sorted.length };
}

// Deterministic text: a syllable vocabulary with a Zipf-like word choice, so runs are comparable.
function mulberry32(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(42);
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'ti',
  'vo',
  'ze',
  'pha',
  'dri',
  'qua',
  'sto',
  'wen',
  'bel',
  'cor',
];
const VOCABULARY = Array.from({ length: 3000 }, () => {
  const n = 2 + Math.floor(random() * 3);
  return Array.from({ length: n }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join('');
});
const word = () => VOCABULARY[Math.floor(VOCABULARY.length * random() ** 2.2)];
function paragraph() {
  const sentences = [];
  let length = 0;
  while (length < 380) {
    const words = Array.from({ length: 8 + Math.floor(random() * 8) }, word);
    const sentence = `${words.join(' ')}.`;
    if (length + sentence.length > 480) break;
    sentences.push(sentence);
    length += sentence.length + 1;
  }
  return sentences.join(' ');
}

/** CPU time (user + system) of another process, in ms, from /proc (Linux). */
function processCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}
const ownCpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

function context(services, nodeId) {
  return {
    runId: 'r_bench',
    flowId: 'bench-rag',
    nodeId,
    spanId: 's_1',
    signal: new AbortController().signal,
    request: {},
    services,
    delta() {},
    log() {},
    addUsage() {},
    span: async () => {
      throw new Error('not used');
    },
  };
}

async function main() {
  const loadAtStart = os.loadavg()[0] ?? 0;
  const dataDir = join('bench/results', `.chroma-data-rag-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const embeddings = new Embeddings();
  const vectors = new ChromaVectors({ dataDir, embeddings });
  const documents = new Documents(dataDir);
  const services = { llm: null, vectors, embeddings, documents };
  const registry = new NodeRegistry();
  const ingest = registry.get('ingest');
  const retriever = registry.get('retriever');

  try {
    let t0 = performance.now();
    const url = await vectors.ready();
    const chromaStartMs = performance.now() - t0;

    const paragraphs = [];
    const docs = Array.from({ length: DOCS }, (_, d) => {
      const own = Array.from({ length: PARAGRAPHS }, () => paragraph());
      paragraphs.push(...own.map((text, i) => ({ text, source: `doc-${d}.txt`, chunk: i })));
      return { id: `doc-${d}`, text: own.join('\n\n'), metadata: { source: `doc-${d}.txt` } };
    });
    const chars = docs.reduce((sum, doc) => sum + doc.text.length, 0);

    // 1. Ingest through the node: split + local embed + upsert in batches. CPU time of both processes is recorded
    // too: on a shared machine the wall time mostly measures waiting for a core.
    const chromaPid = vectors.server.pid;
    const cpu0 = { own: ownCpuMs(), chroma: processCpuMs(chromaPid) };
    t0 = performance.now();
    const outputs = await ingest.execute(
      {
        inputs: { documents: docs },
        params: {
          collection: COLLECTION,
          splitter: 'recursive',
          chunkSize: 500,
          chunkOverlap: 0,
          embedder: 'local',
          source: 'text',
        },
      },
      context(services, 'ingest'),
    );
    const ingestMs = performance.now() - t0;
    const ingestCpu = { own: ownCpuMs() - cpu0.own, chroma: processCpuMs(chromaPid) - cpu0.chroma };
    const chunks = outputs.count;
    t0 = performance.now();
    await embeddings.embed(
      paragraphs.map((p) => p.text),
      { signal: new AbortController().signal },
    );
    const embedOnlyMs = performance.now() - t0;
    const stored = (await vectors.collectionInfo(COLLECTION)).count;

    // 2. Query latency: node vs direct client, alternating.
    const client = new ChromaClient({ host: '127.0.0.1', port: Number(new URL(url).port), ssl: false });
    const collection = await client.getCollection({ name: COLLECTION });
    const queries = Array.from({ length: QUERIES + WARMUP }, () => {
      const target = paragraphs[Math.floor(random() * paragraphs.length)];
      const words = target.text.replace(/\./g, '').split(' ');
      const start = Math.floor(random() * Math.max(1, words.length - 8));
      return { text: words.slice(start, start + 8).join(' '), target };
    });
    const params = { collection: COLLECTION, topK: TOP_K, embedder: '' };
    const ctx = context(services, 'retriever');
    const nodeMs = [];
    const directMs = [];
    const embedMs = [];
    let hitsAt1 = 0;
    let hitsAtK = 0;
    for (const [i, query] of queries.entries()) {
      const measured = i >= WARMUP;
      // Alternate which goes first so neither always meets a warmer cache.
      const order = i % 2 === 0 ? ['node', 'direct'] : ['direct', 'node'];
      for (const which of order) {
        if (which === 'node') {
          const start = performance.now();
          const { documents: found } = await retriever.execute({ inputs: { query: query.text }, params }, ctx);
          const elapsed = performance.now() - start;
          if (measured) {
            nodeMs.push(elapsed);
            const rank = found.findIndex(
              (doc) => doc.metadata.source === query.target.source && doc.metadata.chunk === query.target.chunk,
            );
            if (rank === 0) hitsAt1++;
            if (rank >= 0) hitsAtK++;
          }
        } else {
          const start = performance.now();
          const vector = localEmbed(query.text);
          const afterEmbed = performance.now();
          await collection.query({
            queryEmbeddings: [vector],
            nResults: TOP_K,
            include: ['documents', 'metadatas', 'distances'],
          });
          const elapsed = performance.now() - start;
          if (measured) {
            directMs.push(elapsed);
            embedMs.push(afterEmbed - start);
          }
        }
      }
    }
    const node = stats(nodeMs);
    const direct = stats(directMs);
    const embed = stats(embedMs);
    const addedP50 = node.p50 - direct.p50;

    const results = {
      date: new Date().toISOString(),
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        node: process.version,
        loadAverage: [round(loadAtStart, 2), round(os.loadavg()[0] ?? 0, 2)],
      },
      chroma: {
        startMs: round(chromaStartMs, 1),
        binding: 'chromadb-js-bindings-linux-x64-gnu 0.1.3',
        client: 'chromadb 3.5.0',
      },
      ingest: {
        documents: DOCS,
        characters: chars,
        chunks,
        stored,
        seconds: round(ingestMs / 1000, 2),
        chunksPerSecond: Math.round(chunks / (ingestMs / 1000)),
        localEmbedOnlySeconds: round(embedOnlyMs / 1000, 2),
        cpuSeconds: { runtime: round(ingestCpu.own / 1000, 2), chroma: round(ingestCpu.chroma / 1000, 2) },
        target: TARGETS.ingestSeconds,
        met: ingestMs / 1000 < TARGETS.ingestSeconds,
      },
      query: {
        queries: node.n,
        topK: TOP_K,
        retrieverNodeMs: { p50: round(node.p50), p99: round(node.p99) },
        directClientMs: { p50: round(direct.p50), p99: round(direct.p99) },
        localEmbedQueryMs: { p50: round(embed.p50, 4), p99: round(embed.p99, 4) },
        addedMsP50: round(addedP50),
        addedMsP99: round(node.p99 - direct.p99),
        target: TARGETS.addedMs,
        met: addedP50 < TARGETS.addedMs,
      },
      quality: { recallAt1: round(hitsAt1 / node.n), [`recallAt${TOP_K}`]: round(hitsAtK / node.n) },
    };

    const mark = (met) => (met ? 'met' : 'MISSED');
    console.log(
      `machine: ${results.machine.cpu} x${results.machine.cores}, ${results.machine.node}, ` +
        `load average ${results.machine.loadAverage.join(' → ')}; Chroma started in ${results.chroma.startMs} ms`,
    );
    console.log('| measure | result | baseline | target |');
    console.log('|---|---|---|---|');
    console.log(
      `| ingest ${chunks} chunks (${DOCS} docs, ${(chars / 1e6).toFixed(1)} M chars), local embedder | ` +
        `${results.ingest.seconds} s (${results.ingest.chunksPerSecond} chunks/s) | ` +
        `embedding alone ${results.ingest.localEmbedOnlySeconds} s | < ${TARGETS.ingestSeconds} s: ${mark(results.ingest.met)} |`,
    );
    console.log(
      `| ingest CPU time: runtime process / Chroma server | ${results.ingest.cpuSeconds.runtime} s / ` +
        `${results.ingest.cpuSeconds.chroma} s | | |`,
    );
    console.log(
      `| retriever node query, top ${TOP_K}, p50 / p99 ms | ${round(node.p50)} / ${round(node.p99)} | ` +
        `direct client ${round(direct.p50)} / ${round(direct.p99)} | added p50 ${round(addedP50)} ms < ${TARGETS.addedMs} ms: ` +
        `${mark(results.query.met)} |`,
    );
    console.log(
      `(local embedding of a query: p50 ${results.query.localEmbedQueryMs.p50} ms, in both columns; ` +
        `recall@1 ${results.quality.recallAt1}, recall@${TOP_K} ${results.quality[`recallAt${TOP_K}`]})`,
    );
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/rag.json', `${JSON.stringify(results, null, 2)}\n`);
    if (stored !== chunks) throw new Error(`stored ${stored} records for ${chunks} chunks`);
  } finally {
    await vectors.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
