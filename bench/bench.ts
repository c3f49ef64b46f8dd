/**
 * `npm run bench`: one table, every peer measured in the same run, medians of BENCH_REPS (default 7):
 *  - DenseNet-121 224x224 inference at batch 1 and 8: ours vs onnxruntime-node on the same weights (the ONNX
 *    file and .pth exported by reference/make_fixtures.py --large);
 *  - DenseNet-BC-100 training (batch 64, 32x32, forward + backward + SGD step): ours vs PyTorch at its best of
 *    1/2 threads x naive/memory_efficient (reference/bench_torch.py), each in a process of its own;
 *  - ours on 1 vs 2 threads;
 *  - GEMM GFLOP/s against this machine's FMA peak, measured here by a register-only FMA loop (csrc/fma_peak.c), and
 *    the training step's convolution FLOPs per second against the same peak (with `training` and `gemm`);
 *  - where one training step's time goes (bench/step-profile.ts);
 *  - `densenet infer` on 16 images end to end (process start to exit) vs an onnxruntime-node script (bench/infer-e2e.ts).
 * `--json FILE` writes the same rows; `--only inference,training,gemm,profile,infer` runs some sections. Not a test: the machine is shared and noisy; only same-run ratios mean much.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { loadNative, type NativeBackend } from '../src/backend/native/index.js';
import { DenseNet } from '../src/models/densenet.js';
import { summarize } from '../src/models/summary.js';
import { variantConfig } from '../src/models/variants.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { median, spawnJson, timeIt, TORCH_ENV } from './lib.js';
import { ortDenseNet121, ourDenseNet121 } from './densenet121.js';
import { profileStep, stepTraffic, withoutFusedBackward } from './step-profile.js';
import { INFER_IMAGES, inferE2E } from './infer-e2e.js';

const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const reps = Number(process.env.BENCH_REPS ?? 7);
const SECTIONS = ['inference', 'training', 'gemm', 'profile', 'infer'] as const;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : [...SECTIONS];
for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`bench: unknown section '${s}' (${SECTIONS.join(', ')})`);
const TRAIN_MODEL = 'densenet-bc-100';
const TRAIN_BATCH = 64;

/** One line of the table: what, our figure, the peer's, and ours relative to it. */
interface Row {
  case: string;
  ours: number | null;
  ours_unit: string;
  peer: string;
  peer_value: number | null;
  /** ours / peer (time ratio for inference, throughput ratio for training, fraction for GEMM vs peak) */
  ratio: number | null;
  ratio_means: string;
}
const rows: Row[] = [];
const fmt = (v: number | null, d = 1): string => (v === null ? '-' : v.toFixed(d));

function randomInput(n: number): Tensor {
  const rng = new Rng(1);
  return new Tensor(new Float32Array(n * 3 * 224 * 224).map(() => rng.normal()), [n, 3, 224, 224]);
}

async function inference(be: NativeBackend): Promise<void> {
  const model = await ourDenseNet121();
  const peer = await ortDenseNet121(be.threads);
  const { ort, session } = 'why' in peer ? { ort: null, session: null } : peer;
  if ('why' in peer) console.log(`onnxruntime rows skipped: ${peer.why}`);
  for (const n of [1, 8]) {
    const x = randomInput(n);
    const ours = median(await timeIt(() => model.forward(x, be), reps)) / n;
    let theirs: number | null = null;
    if (ort !== null && session !== null) {
      const feeds = { input: new ort.Tensor('float32', x.data, [n, 3, 224, 224]) };
      const s = session;
      theirs = median(await timeIt(() => s.run(feeds), reps)) / n;
    }
    rows.push({
      case: `DenseNet-121 inference 224x224, batch ${n}`, ours, ours_unit: 'ms/image', peer: 'onnxruntime-node',
      peer_value: theirs, ratio: theirs === null ? null : ours / theirs, ratio_means: 'x the time',
    });
  }
}

interface TrainRun { images_per_s: number; threads: number }

/** Our 2-thread training throughput and the 2-core FMA peak, for the FLOP-share row (both sections must run). */
let trainImagesPerS: number | null = null;
let peak2: number | null = null;

function training(): void {
  const steps = String(Math.max(3, reps));
  const ours = (threads: number): TrainRun | null => spawnJson<TrainRun>(process.execPath,
    ['--import', 'tsx', 'bench/train-once.ts', '--model', TRAIN_MODEL, '--batch', String(TRAIN_BATCH), '--steps', steps],
    { DENSENET_THREADS: String(threads), DENSENET_BACKEND: 'native' });
  const two = ours(2);
  const one = ours(1);
  let best: (TrainRun & { mode: string }) | null = null;
  for (const threads of ['1', '2']) {
    for (const mode of ['naive', 'memory_efficient']) {
      const t = spawnJson<TrainRun>('/usr/bin/python3', ['reference/bench_torch.py', '--model', TRAIN_MODEL, '--batch',
        String(TRAIN_BATCH), '--steps', steps, '--threads', threads, ...(mode === 'naive' ? [] : ['--memory-efficient'])], TORCH_ENV);
      if (t !== null && (best === null || t.images_per_s > best.images_per_s)) best = { ...t, mode };
    }
  }
  if (best === null) console.log('PyTorch row skipped: /usr/bin/python3 cannot import torch (apt-get install python3-torch)');
  const o = two?.images_per_s ?? null;
  trainImagesPerS = o;
  rows.push({
    case: `DenseNet-BC-100 training, batch ${TRAIN_BATCH}, 32x32 (2 threads)`, ours: o, ours_unit: 'images/s',
    peer: best ? `PyTorch ${best.threads} thread${best.threads > 1 ? 's' : ''}, ${best.mode}` : 'PyTorch',
    peer_value: best?.images_per_s ?? null, ratio: o !== null && best ? o / best.images_per_s : null, ratio_means: 'x the throughput',
  });
  rows.push({
    case: 'DenseNet-BC-100 training: 2 threads vs 1 thread', ours: o, ours_unit: 'images/s', peer: 'ours, 1 thread',
    peer_value: one?.images_per_s ?? null, ratio: o !== null && one ? o / one.images_per_s : null, ratio_means: 'x the throughput',
  });
}

/** Median GFLOP/s of fn (flops per call) on `threads` threads, samples of ~50 ms. */
function gflops(be: NativeBackend, threads: number, flops: number, fn: () => void): number {
  be.setThreads(threads);
  fn();
  const t0 = performance.now();
  fn();
  const calls = Math.max(1, Math.round(50 / Math.max(performance.now() - t0, 1e-3)));
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    for (let i = 0; i < calls; i++) fn();
    rates.push((flops * calls) / ((performance.now() - s) * 1e6));
  }
  return median(rates);
}

function gemm(be: NativeBackend, threadsDefault: number): void {
  const peakIters = 2_000_000;
  const peak = [1, 2].map((t) => {
    be.setThreads(t); // before asking for the flops: fmaPeak runs on at most the pool's threads
    return gflops(be, t, be.fmaPeak(1, t) * peakIters, () => be.fmaPeak(peakIters, t));
  });
  peak2 = peak[1];
  const fill = (n: number): Float32Array => new Float32Array(n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const shapes: [string, number, number, number][] = [
    ['GEMM 1024x1024x1024', 1024, 1024, 1024],
    ['GEMM 128x3136x256 (DenseNet-121 block-1 1x1 conv, batch 1)', 128, 3136, 256],
  ];
  for (const [what, m, n, k] of shapes) {
    const a = fill(m * k), b = fill(k * n), c = new Float32Array(m * n);
    for (const t of [1, 2]) {
      const rate = gflops(be, t, 2 * m * n * k, () => be.gemm(false, false, m, n, k, a, b, 0, c));
      rows.push({
        case: `${what}, ${t} thread${t > 1 ? 's' : ''}`, ours: rate, ours_unit: 'GFLOP/s', peer: `FMA peak, ${t} core${t > 1 ? 's' : ''} (measured)`,
        peer_value: peak[t - 1], ratio: rate / peak[t - 1], ratio_means: 'of peak',
      });
    }
  }
  be.setThreads(threadsDefault);
}

function stepBreakdown(be: NativeBackend): { step_ms: number } {
  const p = profileStep(be, TRAIN_MODEL, TRAIN_BATCH, Math.max(2, Math.ceil(reps / 2)));
  for (const [label, ms] of Object.entries(p.ms)) {
    rows.push({
      case: `  step: ${label}`, ours: ms, ours_unit: 'ms/step', peer: 'whole step',
      peer_value: p.step_ms, ratio: ms / p.step_ms, ratio_means: 'of the step',
    });
  }
  // bytes by bench/traffic.ts's model (no timing): the step as trained, and without the fused backward ops
  for (const [what, b] of [['', be], [' (unfused backward)', withoutFusedBackward(be)]] as const) {
    const t = stepTraffic(b, TRAIN_MODEL, TRAIN_BATCH);
    rows.push({
      case: `  step: bytes moved by the ops${what}`, ours: t.moved / 1e9, ours_unit: 'GB/step',
      peer: 'minimum (each tensor read/written once)', peer_value: t.minimum / 1e9, ratio: t.moved / t.minimum, ratio_means: 'x the minimum',
    });
  }
  return { step_ms: p.step_ms };
}

function print(machine: string): void {
  const cell = (r: Row): string[] => {
    const ratio = r.ratio === null ? '-' : r.ratio_means.startsWith('of') ? `${(100 * r.ratio).toFixed(0)}% ${r.ratio_means}` : `${r.ratio.toFixed(2)}${r.ratio_means}`;
    return [r.case, `${fmt(r.ours)} ${r.ours_unit}`, r.peer_value === null ? `${r.peer}: -` : `${r.peer}: ${fmt(r.peer_value)}`, ratio];
  };
  const table = [['case', 'ours', 'peer (same run)', 'ours vs peer'], ...rows.map(cell)];
  const w = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  console.log(`\n${machine}; medians of ${reps}\n`);
  table.forEach((r, j) => {
    console.log(`| ${r.map((s, i) => s.padEnd(w[i])).join(' | ')} |`);
    if (j === 0) console.log(`| ${w.map((x) => '-'.repeat(x)).join(' | ')} |`);
  });
}

const be = loadNative();
const threads = be.threads;
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, native ${be.isa}, ${threads} threads`;
console.log(`bench: ${machine}; DenseNet-121 inference, DenseNet-BC-100 training, GEMM, training-step profile ...`);
const section = (name: string): boolean => {
  if (only.includes(name)) console.log(`  ${name} ...`); // progress: the whole run takes minutes
  return only.includes(name);
};
if (section('inference')) await inference(be);
if (section('training')) training();
if (section('gemm')) gemm(be, threads);
const profile = section('profile') ? stepBreakdown(be) : null;
if (trainImagesPerS !== null && peak2 !== null) {
  // forward MACs per image (conv + the tiny classifier), x2 flops, x3 for forward + input and weight gradients
  const macs = summarize(new DenseNet(variantConfig(TRAIN_MODEL), 0, { init: false }), 3, 32, 32).macs;
  const rate = (6 * macs * trainImagesPerS) / 1e9;
  rows.push({
    case: 'DenseNet-BC-100 training: conv FLOPs (3 x 2 x forward MACs) per second, 2 threads', ours: rate, ours_unit: 'GFLOP/s',
    peer: 'FMA peak, 2 cores (measured)', peer_value: peak2, ratio: rate / peak2, ratio_means: 'of peak',
  });
}
if (section('infer')) {
  const r = inferE2E(Math.max(5, reps));
  rows.push({
    case: `densenet infer end to end: start, load .pth, ${INFER_IMAGES} images, write`, ours: r?.ours_ms ?? null, ours_unit: 'ms',
    peer: 'onnxruntime-node + sharp script', peer_value: r?.ort_ms ?? null, ratio: r ? r.ours_ms / r.ort_ms : null, ratio_means: 'x the time',
  });
  if (r) console.log(`  infer, ours (last run): ${r.ours_timing}\n  infer, onnxruntime (last run, ms since start): ${r.ort_timing}`);
}
print(machine);
if (jsonOut !== undefined) {
  mkdirSync(dirname(jsonOut), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify({ machine, reps, rows, profile }, null, 2) + '\n');
  console.log(`\nwrote ${jsonOut}`);
}
