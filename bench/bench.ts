/**
 * `npm run bench`: DenseNet-121 inference at 224x224, batch 1 and 8, on our fastest backend and, in the same
 * run on the same weights, onnxruntime-node (the ONNX file exported by reference/make_fixtures.py --large).
 * Prints ms/image (median of several repetitions) and the ratio; `--json FILE` also writes the numbers.
 * Timing lives here, never in tests: the machine is shared and noisy, so only same-run ratios mean much.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../src/backend/select.js';
import { readWeightsFile } from '../src/io/weights-file.js';
import { DenseNet } from '../src/models/densenet.js';
import { variantConfig } from '../src/models/variants.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';

const LARGE = fileURLToPath(new URL('../test/fixtures/large/', import.meta.url));
const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const reps = Number(process.env.BENCH_REPS ?? 7);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function timeIt(fn: () => Promise<unknown> | unknown, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

function randomInput(n: number): Tensor {
  const rng = new Rng(1);
  const x = new Float32Array(n * 3 * 224 * 224);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return new Tensor(x, [n, 3, 224, 224]);
}

interface Row {
  case: string;
  ours_ms_per_image: number;
  ort_ms_per_image: number | null;
  ratio: number | null;
}

async function main(): Promise<void> {
  const backend = await getBackend(process.env.DENSENET_BACKEND);
  const model = new DenseNet(variantConfig('densenet121'), 0, { init: !existsSync(LARGE + 'densenet121.pth') });
  if (existsSync(LARGE + 'densenet121.pth')) model.loadStateDict((await readWeightsFile(LARGE + 'densenet121.pth')).tensors);
  model.eval();

  type OrtModule = typeof import('onnxruntime-node');
  let ort: OrtModule | null = null;
  let session: import('onnxruntime-node').InferenceSession | null = null;
  const onnxPath = LARGE + 'densenet121.onnx';
  if (!existsSync(onnxPath)) {
    console.log(`onnxruntime row skipped: ${onnxPath} is missing (make it with: /usr/bin/python3 reference/make_fixtures.py --large)`);
  } else {
    try {
      ort = await import('onnxruntime-node');
      session = await ort.InferenceSession.create(readFileSync(onnxPath), {
        intraOpNumThreads: backend.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
      });
    } catch (e) {
      console.log(`onnxruntime row skipped: ${(e as Error).message}`);
    }
  }

  console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; backend ${backend.name}, ${backend.threads} threads; median of ${reps}`);
  const rows: Row[] = [];
  for (const n of [1, 8]) {
    const x = randomInput(n);
    const ours = median(await timeIt(() => model.forward(x, backend))) / n;
    let theirs: number | null = null;
    if (ort !== null && session !== null) {
      const feeds = { input: new ort.Tensor('float32', x.data, [n, 3, 224, 224]) };
      const s = session;
      theirs = median(await timeIt(() => s.run(feeds))) / n;
    }
    rows.push({ case: `densenet121 inference 224x224 batch ${n}`, ours_ms_per_image: ours, ort_ms_per_image: theirs, ratio: theirs === null ? null : ours / theirs });
  }
  const fmt = (v: number | null, d = 1): string => (v === null ? '-' : v.toFixed(d));
  console.log('case                                    ours ms/img  onnxruntime ms/img  ours/ort');
  for (const r of rows) {
    console.log(`${r.case.padEnd(40)}${fmt(r.ours_ms_per_image).padStart(11)}${fmt(r.ort_ms_per_image).padStart(20)}${fmt(r.ratio, 2).padStart(10)}`);
  }
  if (jsonOut !== undefined) {
    mkdirSync(dirname(jsonOut), { recursive: true });
    writeFileSync(jsonOut, JSON.stringify({ backend: backend.name, threads: backend.threads, reps, rows }, null, 2) + '\n');
  }
}

await main();
