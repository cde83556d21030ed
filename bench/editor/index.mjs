#!/usr/bin/env node
// Editor benchmark: opens a 500-node flow in headless Chromium against the real runtime and measures the time to
// interactive (navigation → nodes drawn → a click selects a node and the inspector shows it), then frame times
// while dragging one node and while dragging all 500. `--quick` runs fewer rounds. Writes bench/results/editor.json.
// `--profile` / `--profile-drag` also write a CPU profile of one load / of dragging all the nodes, and summarise it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 3 : 7;
const NODES = Number(process.env.BENCH_EDITOR_NODES ?? 500);

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const round = (x) => Math.round(x * 10) / 10;

/** A flow of NODES nodes: chains input → prompt → llm → output laid out on a grid, 3 edges per chain. */
function bigFlow(id) {
  const kinds = ['input', 'prompt', 'llm', 'output'];
  const nodes = [];
  const edges = [];
  const chains = Math.ceil(NODES / kinds.length);
  for (let c = 0; c < chains; c++) {
    const row = c % 25;
    const col = Math.floor(c / 25);
    for (let k = 0; k < kinds.length && nodes.length < NODES; k++) {
      const params = kinds[k] === 'input' ? { name: `q${c}` } : kinds[k] === 'output' ? { name: `a${c}` } : undefined;
      nodes.push({
        id: `${kinds[k]}-${c}`,
        type: kinds[k],
        position: { x: col * 1200 + k * 290, y: row * 260 },
        ...(params && { params }),
      });
    }
    const ports = [
      ['value', 'question'],
      ['prompt', 'prompt'],
      ['text', 'value'],
    ];
    for (let k = 0; k < 3; k++) {
      if (!nodes.find((n) => n.id === `${kinds[k + 1]}-${c}`)) break;
      edges.push({
        id: `e${c}-${k}`,
        source: `${kinds[k]}-${c}`,
        sourcePort: ports[k][0],
        target: `${kinds[k + 1]}-${c}`,
        targetPort: ports[k][1],
      });
    }
  }
  return { format: 'flowloom.flow/v1', id, name: `Bench ${NODES} nodes`, nodes, edges };
}

async function waitHealthy(url, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`runtime exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('runtime did not become healthy');
}

/** Frame times (ms) while `drive` runs, from a requestAnimationFrame loop in the page. */
async function frameTimes(page, drive) {
  await page.evaluate(() => {
    window.__frames = [];
    window.__framing = true;
    let last = performance.now();
    const tick = (now) => {
      window.__frames.push(now - last);
      last = now;
      if (window.__framing) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await drive();
  return page.evaluate(() => {
    window.__framing = false;
    return window.__frames.slice(1);
  });
}

async function drag(page, from, dx, dy, steps) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) await page.mouse.move(from.x + (dx * i) / steps, from.y + (dy * i) / steps);
  await page.mouse.up();
}

function frameStats(frames) {
  return {
    frames: frames.length,
    p50Ms: round(pct(frames, 50)),
    p95Ms: round(pct(frames, 95)),
    maxMs: round(Math.max(...frames)),
    over50Ms: frames.filter((f) => f > 50).length,
    fps: round(1000 / (frames.reduce((a, b) => a + b, 0) / frames.length)),
  };
}

/** `--profile`: a CPU profile of one load, printing the functions with the most self time. */
async function profileLoad(browser, base) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await page.addInitScript(() => {
    window.__maxNodes = 0;
    window.__maxEdges = 0;
    window.__marks = [];
    new MutationObserver(() => {
      const nodes = document.querySelectorAll('.react-flow__node').length;
      const edges = document.querySelectorAll('.react-flow__edge').length;
      if (nodes !== window.__lastNodes)
        window.__marks.push(`${Math.round(performance.now())}ms nodes=${nodes} edges=${edges}`);
      window.__lastNodes = nodes;
      window.__maxNodes = Math.max(window.__maxNodes, nodes);
      window.__maxEdges = Math.max(window.__maxEdges, edges);
    }).observe(document, { subtree: true, childList: true });
  });
  await cdp.send('Profiler.start');
  await page.goto(`${base}/#/flows/bench-editor`);
  await page.locator('[data-testid="node-llm-0"] .node-header').click();
  await page.getByTestId('inspector').waitFor();
  const { profile } = await cdp.send('Profiler.stop');
  // The whole profile too, for DevTools (Performance → load profile) or a source-mapped summary.
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/editor-load.cpuprofile'), JSON.stringify(profile));
  console.log(
    await page.evaluate(
      () => `max nodes ${window.__maxNodes}, max edges ${window.__maxEdges}\n${window.__marks.join('\n')}`,
    ),
  );
  printSelfTime(profile);
  await context.close();
}

/** The functions of a CPU profile with the most self time, 25 of them. */
function printSelfTime(profile) {
  const self = new Map();
  const dt = new Map();
  profile.samples.forEach((id, i) => {
    dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  for (const node of profile.nodes) {
    const key = `${node.callFrame.functionName || '(anon)'} ${node.callFrame.url.split('/').pop()}:${node.callFrame.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (dt.get(node.id) ?? 0));
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  for (const [key, ms] of top) console.log(`${ms.toFixed(1).padStart(8)} ms  ${key}`);
}

/** `--profile-drag`: a CPU profile of dragging all the nodes, written beside the load's and summarised. */
async function profileDrag(page, header) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  const box = await header.boundingBox();
  await cdp.send('Profiler.start');
  await drag(page, { x: box.x + 20, y: box.y + 10 }, 200, 120, 40);
  const { profile } = await cdp.send('Profiler.stop');
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/editor-drag.cpuprofile'), JSON.stringify(profile));
  printSelfTime(profile);
}

async function main() {
  if (!existsSync(join(ROOT, 'editor/dist/index.html')) || process.argv.includes('--build')) {
    spawnSync('npm', ['run', 'build', '-w', '@flowloom/editor'], { cwd: ROOT, stdio: 'inherit' });
  }
  const port = await freePort();
  const dataDir = join(ROOT, `bench/editor/.tmp-data-${process.pid}`);
  mkdirSync(dataDir, { recursive: true });
  const runtime = spawn(process.execPath, [join(ROOT, 'runtime/dist/main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      FLOWLOOM_DATA: dataDir,
      LOG_LEVEL: 'warn',
      OPENAI_API_KEY: 'unused',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
  try {
    await waitHealthy(`${base}/api/health`, runtime);
    const flow = bigFlow('bench-editor');
    const created = await fetch(`${base}/api/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(flow),
    });
    if (created.status !== 201) throw new Error(`create flow: ${created.status} ${await created.text()}`);

    const tti = [];
    const firstNodes = [];
    const savedAt = [];
    const clickToInspector = [];
    const clickToParams = [];
    const mainThread = [];
    const breakdown = [];
    for (let round_ = 0; round_ < ROUNDS + 1; round_++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const t0 = Date.now();
      await page.goto(`${base}/#/flows/bench-editor`);
      await page.locator('.react-flow__node').first().waitFor();
      const drawn = Date.now() - t0;
      await page.locator('[data-testid="save-status"][data-state="saved"]').waitFor();
      const saved = Date.now() - t0;
      // In the page: from the press to the inspector in the DOM, what a user sees (the time to interactive below also
      // counts Playwright's round trips, and any work the page does before it answers them).
      await page.evaluate(() => {
        window.__click = {};
        document.addEventListener('pointerdown', () => (window.__click.down ??= performance.now()), true);
        new MutationObserver((_, observer) => {
          if (!document.querySelector('[data-testid="inspector"]')) return;
          window.__click.inspector ??= performance.now();
          // The node's param fields (the llm node's model field), which the inspector draws a frame after its head.
          if (!document.querySelector('[data-testid="field-model"]')) return;
          window.__click.params = performance.now();
          observer.disconnect();
        }).observe(document.body, { subtree: true, childList: true });
      });
      await page.locator('[data-testid="node-llm-0"] .node-header').click();
      await page.getByTestId('inspector').waitFor();
      const interactive = Date.now() - t0;
      await page.getByTestId('field-model').waitFor();
      const [clicked, clickedParams] = await page.evaluate(() => [
        window.__click.inspector - window.__click.down,
        window.__click.params - window.__click.down,
      ]);
      // The page's main-thread work to interactive, which other processes on the machine do not inflate.
      const { metrics } = await cdp.send('Performance.getMetrics');
      const metric = (name) => Math.round((metrics.find((m) => m.name === name)?.value ?? 0) * 1000);
      const work = {
        task: metric('TaskDuration'),
        script: metric('ScriptDuration'),
        layout: metric('LayoutDuration'),
        style: metric('RecalcStyleDuration'),
      };
      const phases = await page.evaluate(() => {
        const end = (part) =>
          Math.round(performance.getEntriesByType('resource').find((e) => e.name.includes(part))?.responseEnd ?? -1);
        const nav = performance.getEntriesByType('navigation')[0];
        return {
          html: Math.round(nav.responseEnd),
          script: end('/assets/index-'),
          catalog: end('/api/nodes'),
          flow: end('/api/flows/bench-editor'),
          domContentLoaded: Math.round(nav.domContentLoadedEventEnd),
        };
      });
      if (round_ > 0) {
        // Round 0 warms the HTTP and disk caches, like a second visit.
        tti.push(interactive);
        firstNodes.push(drawn);
        savedAt.push(saved);
        clickToInspector.push(clicked);
        clickToParams.push(clickedParams);
        mainThread.push(work);
        breakdown.push(phases);
      }
      await context.close();
    }

    if (process.argv.includes('--profile')) await profileLoad(browser, base);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/#/flows/bench-editor`);
    await page.locator('[data-testid="save-status"][data-state="saved"]').waitFor();
    const rendered = await page.locator('.react-flow__node').count();
    const header = page.locator('[data-testid="node-llm-0"] .node-header');
    await header.click();
    const box = await header.boundingBox();
    const one = await frameTimes(page, () => drag(page, { x: box.x + 20, y: box.y + 10 }, 240, 160, 60));
    await page.keyboard.press('Control+A');
    const box2 = await header.boundingBox();
    const all = await frameTimes(page, () => drag(page, { x: box2.x + 20, y: box2.y + 10 }, -200, -120, 40));
    if (process.argv.includes('--profile-drag')) await profileDrag(page, header);
    await context.close();

    const result = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, loadAverage1m: round(loadavg()[0]) },
      nodes: flow.nodes.length,
      edges: flow.edges.length,
      nodesRenderedAfterFit: rendered,
      rounds: ROUNDS,
      timeToInteractiveMs: { median: median(tti), max: Math.max(...tti), all: tti },
      firstNodeDrawnMs: { median: median(firstNodes) },
      // The flow checked and saved (the save status says so): what the last step, a click that selects, waits for.
      savedMs: { median: median(savedAt) },
      // A click on a node to its inspector on screen, measured in the page (the first click after the load).
      clickToInspectorMs: { median: round(median(clickToInspector)) },
      // To its param fields in the DOM too: the inspector draws the node's head at once and its fields a frame later.
      clickToParamsMs: { median: round(median(clickToParams)) },
      // Main-thread time of the page to interactive (Chromium's own counters), medians: task = all of it.
      mainThreadMs: Object.fromEntries(
        ['task', 'script', 'layout', 'style'].map((k) => [k, median(mainThread.map((w) => w[k]))]),
      ),
      // Milliseconds from navigation start at which each part had arrived (the last round).
      loadPhasesMs: breakdown[breakdown.length - 1],
      dragOneNode: frameStats(one),
      dragAllNodes: frameStats(all),
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/editor.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await browser.close();
    runtime.kill('SIGTERM');
    await new Promise((r) => runtime.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
