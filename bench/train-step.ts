/**
 * Training-step benchmark: DenseNet-BC-100 (k=12) on CIFAR-sized input, batch 64 (override with BENCH_BATCH),
 * one `lossAndGrad` plus one SGD step per iteration, on the native backend with 1 and 2 threads. Prints
 * images/s (median over BENCH_STEPS steps after warm-up) and, from separate steps run through a timing
 * wrapper around every backend op, where a step's time goes (conv 1x1 / 3x3 forward and backward, BN,
 * pools, the rest, and the JavaScript in between). Run: node --import tsx bench/train-step.ts
 * PyTorch 1.13 on the same 2-core machine: 30-41 images/s (DESIGN.md).
 */
import type { Backend, BackwardOps, ConvGeometry } from '../src/backend/backend.js';
import { loadNative, type NativeBackend } from '../src/backend/native/index.js';
import { DenseNet } from '../src/models/densenet.js';
import { variantConfig } from '../src/models/variants.js';
import { SGD } from '../src/optim/sgd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';

const batch = Number(process.env.BENCH_BATCH ?? 64);
const steps = Number(process.env.BENCH_STEPS ?? 10);
const model = process.env.BENCH_MODEL ?? 'densenet-bc-100';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Milliseconds per category, accumulated by the wrapper. */
type Times = Map<string, number>;

function convKind(g: ConvGeometry): string {
  return g.kh === 1 && g.kw === 1 ? 'conv 1x1' : g.kh === 3 && g.kw === 3 ? 'conv 3x3' : `conv ${g.kh}x${g.kw}`;
}

/** A Backend that forwards every op to `be` and adds its wall time to `times` under a category. */
function timed(be: Backend, times: Times): Backend {
  const add = (cat: string, t0: number): void => {
    times.set(cat, (times.get(cat) ?? 0) + performance.now() - t0);
  };
  const bw = be.backward;
  if (!bw) throw new Error(`${be.name} has no backward ops`);
  const backward: BackwardOps = {
    conv2d(g, x, w, dy, dx, dw, db, pre, overwriteDx) {
      const t0 = performance.now();
      bw.conv2d(g, x, w, dy, dx, dw, db, pre, overwriteDx);
      add(`${convKind(g)} bwd`, t0);
    },
    batchNorm(...a) {
      const t0 = performance.now();
      bw.batchNorm(...a);
      add('BN bwd', t0);
    },
    relu(...a) {
      const t0 = performance.now();
      bw.relu(...a);
      add('rest', t0);
    },
    maxPool2d(...a) {
      const t0 = performance.now();
      bw.maxPool2d(...a);
      add('pools', t0);
    },
    avgPool2d(...a) {
      const t0 = performance.now();
      bw.avgPool2d(...a);
      add('pools', t0);
    },
    globalAvgPool(...a) {
      const t0 = performance.now();
      bw.globalAvgPool(...a);
      add('pools', t0);
    },
    linear(...a) {
      const t0 = performance.now();
      bw.linear(...a);
      add('rest', t0);
    },
    softmaxCrossEntropy(...a) {
      const t0 = performance.now();
      const loss = bw.softmaxCrossEntropy(...a);
      add('rest', t0);
      return loss;
    },
  };
  const wrap = <A extends unknown[]>(cat: string, f: (...a: A) => void) => (...a: A): void => {
    const t0 = performance.now();
    f(...a);
    add(cat, t0);
  };
  return {
    name: be.name,
    threads: be.threads,
    gemm: wrap('rest', be.gemm.bind(be)),
    conv2d(g, x, w, bias, y, pre) {
      const t0 = performance.now();
      be.conv2d(g, x, w, bias, y, pre);
      add(`${convKind(g)} fwd`, t0);
    },
    scaleShift: wrap('BN fwd (apply/recompute)', be.scaleShift.bind(be)),
    channelStats: wrap('BN fwd (stats)', be.channelStats.bind(be)),
    relu: wrap('rest', be.relu.bind(be)),
    maxPool2d: wrap('pools', be.maxPool2d.bind(be)),
    avgPool2d: wrap('pools', be.avgPool2d.bind(be)),
    globalAvgPool: wrap('pools', be.globalAvgPool.bind(be)),
    linear: wrap('rest', be.linear.bind(be)),
    softmax: wrap('rest', be.softmax.bind(be)),
    dropout: wrap('rest', be.dropout.bind(be)),
    backward,
  };
}

function setup(): { net: DenseNet; sgd: SGD; x: Tensor; labels: Int32Array } {
  const net = new DenseNet(variantConfig(model), 0);
  net.train();
  const sgd = new SGD(net.namedParameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true });
  const rng = new Rng(7);
  const size = net.defaultInput;
  const x = new Float32Array(batch * size[0] * size[1] * size[2]);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform() * 2 - 1;
  const labels = new Int32Array(batch);
  for (let i = 0; i < batch; i++) labels[i] = i % net.numClasses;
  return { net, sgd, x: new Tensor(x, [batch, ...size]), labels };
}

function step(net: DenseNet, sgd: SGD, x: Tensor, labels: Int32Array, be: Backend): number {
  const t0 = performance.now();
  net.lossAndGrad(x, labels, be);
  sgd.step();
  return performance.now() - t0;
}

function run(be: NativeBackend, threads: number): { ips: number; ms: number; times: Times; profiled: number } {
  be.setThreads(threads);
  const { net, sgd, x, labels } = setup();
  for (let i = 0; i < 2; i++) step(net, sgd, x, labels, be); // warm-up: workspace, pool, page faults
  const ms: number[] = [];
  for (let i = 0; i < steps; i++) ms.push(step(net, sgd, x, labels, be));
  const times: Times = new Map();
  const tb = timed(be, times);
  const prof: number[] = [];
  const profSteps = Math.max(2, Math.ceil(steps / 3));
  for (let i = 0; i < profSteps; i++) prof.push(step(net, sgd, x, labels, tb));
  for (const [k, v] of times) times.set(k, v / profSteps);
  const med = median(ms);
  return { ips: (batch * 1000) / med, ms: med, times, profiled: prof.reduce((a, b) => a + b, 0) / profSteps };
}

const be = loadNative();
console.log(`${model} training step (lossAndGrad + SGD), batch ${batch}, native ${be.isa}, median of ${steps} steps`);
const results = [1, 2].map((t) => ({ t, ...run(be, t) }));
console.log('\n| threads | ms/step | images/s |');
console.log('| ---: | ---: | ---: |');
for (const r of results) console.log(`| ${r.t} | ${r.ms.toFixed(0)} | ${r.ips.toFixed(1)} |`);

const cats = [...new Set(results.flatMap((r) => [...r.times.keys()]))].sort();
console.log('\nPer-op time, ms per step (mean of the profiled steps; "JS + SGD" is the step minus all backend ops):');
console.log(`| op | ${results.map((r) => `${r.t} thread${r.t > 1 ? 's' : ''}`).join(' | ')} |`);
console.log(`| --- | ${results.map(() => '---:').join(' | ')} |`);
for (const c of cats) console.log(`| ${c} | ${results.map((r) => (r.times.get(c) ?? 0).toFixed(1)).join(' | ')} |`);
const js = results.map((r) => r.profiled - [...r.times.values()].reduce((a, b) => a + b, 0));
console.log(`| JS + SGD | ${js.map((v) => v.toFixed(1)).join(' | ')} |`);
console.log(`| total (profiled) | ${results.map((r) => r.profiled.toFixed(1)).join(' | ')} |`);
