/**
 * Same-run A/B of one DenseNet-BC-100 training step (batch 64, 32x32, memory-efficient, lossAndGrad + SGD) on the
 * native backend with and without its optional fused backward ops (backend.ts conv1x1BatchNorm and
 * batchNormDeferredAdd; without them the layers run conv2d dx + batchNorm backward). One network, steps
 * interleaved A, B, A, B, ..., medians. Not a test: timing only.
 * A third variant computes conv1's weight gradient apart (conv2d backward, its own pass over x).
 *   node --import tsx bench/train-ab.ts [--reps 9] [--batch 64] [--naive] [--cpu]
 */
import { convGeometry, type Backend } from '../src/backend/backend.js';
import { loadNative } from '../src/backend/native/index.js';
import { DenseNet } from '../src/models/densenet.js';
import { variantConfig } from '../src/models/variants.js';
import { SGD } from '../src/optim/sgd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { median } from './lib.js';
import { withoutFusedBackward } from './step-profile.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const reps = Number(arg('reps', '9'));
const batch = Number(arg('batch', '64'));
const memoryEfficient = !process.argv.includes('--naive');
const cpu = process.argv.includes('--cpu'); // process CPU time (both pool threads) instead of wall time: steadier when loaded

/** `be` whose fused op leaves the weight gradient to conv2d backward (a separate pass over x), for comparison. */
function dwApart(be: Backend): Backend {
  const bw = be.backward!;
  const fused = bw.conv1x1BatchNorm!.bind(bw);
  return {
    ...be,
    backward: {
      ...bw,
      conv1x1BatchNorm(c, s, cout, w, dy, x, mean, invStd, gamma, beta, relu, dx, dgamma, dbeta, p, q, dw, pre): void {
        if (dw) bw.conv2d(convGeometry(1, c, 1, s, cout, 1, 1, 0), x, w, dy, null, dw, null, pre);
        fused(c, s, cout, w, dy, x, mean, invStd, gamma, beta, relu, dx, dgamma, dbeta, p, q);
      },
    },
  };
}

const be = loadNative();
const variants: [string, Backend][] = [['fused', be], ['unfused', withoutFusedBackward(be)], ['dw apart', dwApart(be)]];
const net = new DenseNet(variantConfig('densenet-bc-100'), 0).train();
const sgd = new SGD(net.namedParameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true });
const rng = new Rng(7);
const x = new Tensor(new Float32Array(batch * 3 * 32 * 32).map(() => rng.uniform() * 2 - 1), [batch, 3, 32, 32]);
const labels = Int32Array.from({ length: batch }, (_, i) => i % net.numClasses);
const times = new Map<string, number[]>(variants.map(([n]) => [n, []]));
for (let r = -1; r < reps; r++) {
  for (const [name, b] of variants) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    net.lossAndGrad(x, labels, b, { memoryEfficient });
    sgd.step();
    const c = process.cpuUsage(c0);
    if (r >= 0) times.get(name)!.push(cpu ? (c.user + c.system) / 1000 : performance.now() - t0);
  }
}
const m = new Map([...times].map(([n, t]) => [n, median(t)]));
console.log(`DenseNet-BC-100 training step, batch ${batch}, ${memoryEfficient ? 'memory-efficient' : 'naive'}, native ${be.isa}, ${be.threads} threads, ${cpu ? 'CPU' : 'wall'} ms, medians of ${reps} (interleaved):`);
for (const [n, t] of m) console.log(`  ${n.padEnd(8)} ${t.toFixed(1)} ms/step  ${(batch / t * 1000).toFixed(1)} images/s`);
console.log(`  dw apart / fused time: ${(m.get('dw apart')! / m.get('fused')!).toFixed(3)}`);
console.log(`  fused / unfused time: ${(m.get('fused')! / m.get('unfused')!).toFixed(3)}`);
