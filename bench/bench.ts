/**
 * `npm run bench`: DenseNet-121 inference at 224x224, batch 1 and 8, on our fastest backend and, in the same
 * run on the same weights, onnxruntime-node (the ONNX file exported by reference/make_fixtures.py --large).
 * Prints ms/image (median of several repetitions) and the ratio; `--json FILE` also writes the numbers.
 * Timing lives here, never in tests: the machine is shared and noisy, so only same-run ratios mean much.
 */
import { spawnSync } from 'node:child_process';
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

const fmt = (v: number | null, d = 1): string => (v === null ? '-' : v.toFixed(d));

interface Row {
  case: string;
  ours_ms_per_image: number;
  ort_ms_per_image: number | null;
  ratio: number | null;
}

const TORCH_ENV = { MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: '68719476736', MALLOC_TOP_PAD_: '1073741824' };

/** Runs a benchmark helper process and parses the JSON object on its last stdout line (null if it failed). */
function spawnJson(cmd: string, args: string[], env: Record<string, string> = {}): { images_per_s: number; threads: number } | null {
  const r = spawnSync(cmd, args, { cwd: fileURLToPath(new URL('../', import.meta.url)), encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { images_per_s: number; threads: number };
  } catch {
    return null;
  }
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
  console.log('case                                    ours ms/img  onnxruntime ms/img  ours/ort');
  for (const r of rows) {
    console.log(`${r.case.padEnd(40)}${fmt(r.ours_ms_per_image).padStart(11)}${fmt(r.ort_ms_per_image).padStart(20)}${fmt(r.ratio, 2).padStart(10)}`);
  }

  // training: DenseNet-BC-100 (k=12), batch 64, 32x32, forward + backward + SGD step, each side in its own process
  const train = spawnJson(process.execPath, ['--import', 'tsx', 'bench/train-once.ts', '--model', 'densenet-bc-100', '--batch', '64', '--steps', String(Math.max(3, reps))]);
  let torchBest: { images_per_s: number; threads: number; mode: string } | null = null;
  for (const threads of ['1', '2']) {
    for (const mode of ['naive', 'memory_efficient']) {
      const extra = mode === 'naive' ? [] : ['--memory-efficient'];
      const t = spawnJson('/usr/bin/python3', ['reference/bench_torch.py', '--model', 'densenet-bc-100', '--batch', '64', '--steps', String(Math.max(3, reps)), '--threads', threads, ...extra], TORCH_ENV);
      if (t !== null && (torchBest === null || t.images_per_s > torchBest.images_per_s)) torchBest = { images_per_s: t.images_per_s, threads: t.threads, mode };
    }
  }
  console.log('\ncase                                           ours img/s  PyTorch img/s  ours/PyTorch');
  const ti = train?.images_per_s ?? null;
  const pi = torchBest?.images_per_s ?? null;
  console.log(`${'densenet-bc-100 train batch 64, 32x32'.padEnd(47)}${fmt(ti).padStart(10)}${fmt(pi).padStart(15)}${fmt(ti !== null && pi !== null ? ti / pi : null, 2).padStart(14)}`);
  if (torchBest !== null) console.log(`(PyTorch at its best of 1/2 threads x naive/memory_efficient: ${torchBest.threads} threads, ${torchBest.mode}; glibc kept-memory settings)`);
  else console.log('(PyTorch row skipped: /usr/bin/python3 cannot import torch; apt-get install python3-torch)');

  if (jsonOut !== undefined) {
    mkdirSync(dirname(jsonOut), { recursive: true });
    writeFileSync(jsonOut, JSON.stringify({ backend: backend.name, threads: backend.threads, reps, rows, train: { ours: train, torch: torchBest } }, null, 2) + '\n');
  }
}

await main();
