/**
 * `npm run bench:web`: DenseNet-121, 224x224, batch 1, in headless Chromium (Debian's chromium via playwright-core)
 * on the demo server (COOP/COEP, so the page is cross-origin isolated): our wasm backend against onnxruntime-web's
 * wasm backend (SIMD) at 1 and 2 threads, each engine in a page of its own, the two timed alternately pass by pass, with the Node figures (native addon
 * and wasm, this process) beside them. The weights are one random initialisation (seed 0), written as safetensors
 * for us and exported to ONNX by our own exporter (exportOnnx) for onnxruntime-web, so both run the same network;
 * the first logits are compared as a check. Issue 10's target: ours <= 0.6x onnxruntime-web's time.
 * Options: --reps N (default 10; 2 warm-up runs each), --json FILE, --chromium PATH. Medians; ratio = ours / ort.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { DenseNet, IMAGENET_PRESET, Tensor, exportOnnx, loadBackend, variantConfig, writeSafetensors } from '../src/index.js';
import { buildWeb, startWebServer } from '../web/serve.mjs';
import { median, timeIt } from './lib.js';

const arg = (name: string): string | undefined => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const reps = Number(arg('--reps') ?? 10);
const jsonOut = arg('--json');
const executablePath = arg('--chromium') ?? '/usr/bin/chromium';
if (!(Number.isInteger(reps) && reps >= 1 && reps <= 200)) throw new Error(`bench:web: --reps must be 1..200, got ${arg('--reps')}`);
if (!existsSync(executablePath)) {
  console.error(`bench:web: no chromium at ${executablePath} (apt-get install -y chromium)`);
  process.exit(1);
}

interface Row { where: string; engine: string; threadsAsked: number; threads: number; medianMs: number; times: number[] }
interface PageSetup { engine: string; threads: number; logits: number[]; crossOriginIsolated: boolean }

const dir = mkdtempSync(join(tmpdir(), 'densenet-bench-web-'));
const rows: Row[] = [];
try {
  const model = new DenseNet(variantConfig('densenet121'), 0).eval();
  writeFileSync(join(dir, 'densenet121.safetensors'), writeSafetensors(model.stateDict()));
  const onnx = exportOnnx(model, { arch: 'densenet121', classNames: Array.from({ length: 1000 }, (_, i) => `class ${i}`), preprocessing: IMAGENET_PRESET, producerVersion: 'bench' });
  writeFileSync(join(dir, 'densenet121.onnx'), onnx.bytes);
  const x = new Tensor(new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i * 0.37) * 1.5), [1, 3, 224, 224]);

  // Node, this process: the native addon and the wasm module
  let nodeLogits: number[] = [];
  for (const name of ['native', 'wasm'] as const) {
    const backend = await loadBackend(name);
    const times = await timeIt(() => { nodeLogits = Array.from(model.forward(x, backend).data.subarray(0, 10)); }, reps, 2);
    rows.push({ where: 'node', engine: `densenet-ts ${name}`, threadsAsked: backend.threads, threads: backend.threads, medianMs: median(times), times });
    console.error(`node ${name}: ${median(times).toFixed(1)} ms`);
  }

  await buildWeb();
  const server = await startWebServer({ port: 0, extraDir: dir });
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  try {
    for (const threads of [1, 2]) {
      // both engines in pages of their own, timed alternately pass by pass (ours first in even rounds)
      type Bench = { setup(q: object): Promise<PageSetup>; step(): Promise<number> };
      const pages: { engine: 'densenet-ts' | 'ort'; page: Page; setup: PageSetup; times: number[] }[] = [];
      for (const engine of ['densenet-ts', 'ort'] as const) {
        const page = await browser.newPage();
        await page.goto(new URL('bench.html', server.url).href);
        await page.waitForSelector('body[data-state="ready"]');
        const setup = await page.evaluate(
          (req) => (window as unknown as { bench: Bench }).bench.setup(req),
          { engine, threads, warmup: 2, weights: '/extra/densenet121.safetensors', onnx: '/extra/densenet121.onnx' },
        );
        if (!setup.crossOriginIsolated) throw new Error('bench:web: the page is not cross-origin isolated');
        pages.push({ engine, page, setup, times: [] });
      }
      for (let i = 0; i < reps; i++) {
        for (const p of i % 2 === 0 ? pages : [...pages].reverse()) {
          p.times.push(await p.page.evaluate(() => (window as unknown as { bench: Bench }).bench.step()));
        }
      }
      for (const p of pages) {
        await p.page.close();
        const diff = Math.max(...p.setup.logits.map((v, i) => Math.abs(v - nodeLogits[i])));
        rows.push({ where: 'chromium', engine: p.engine === 'ort' ? 'onnxruntime-web wasm' : 'densenet-ts wasm', threadsAsked: threads, threads: p.setup.threads, medianMs: median(p.times), times: p.times });
        console.error(`chromium ${p.engine} ${threads}T: ${median(p.times).toFixed(1)} ms (runs ${p.setup.threads} threads; logits vs Node wasm max |diff| ${diff.toExponential(1)})`);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ort = (t: number): Row | undefined => rows.find((r) => r.engine === 'onnxruntime-web wasm' && r.threadsAsked === t);
const lines = ['| where | engine | threads asked | threads run | median ms | vs onnxruntime-web (same threads asked) |', '|---|---|---:|---:|---:|---:|'];
for (const r of rows) {
  const peer = r.where === 'chromium' && r.engine !== 'onnxruntime-web wasm' ? ort(r.threadsAsked) : undefined;
  lines.push(`| ${r.where} | ${r.engine} | ${r.threadsAsked} | ${r.threads} | ${r.medianMs.toFixed(1)} | ${peer ? `${(r.medianMs / peer.medianMs).toFixed(2)}x` : ''} |`);
}
console.log(`DenseNet-121 224x224 batch 1, random init (seed 0), median of ${reps} runs after 2 warm-up; in Chromium the two engines alternate run by run\n` + lines.join('\n'));
if (jsonOut !== undefined) {
  mkdirSync(dirname(jsonOut), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify({ model: 'densenet121', input: [1, 3, 224, 224], reps, rows }, null, 2) + '\n');
}
