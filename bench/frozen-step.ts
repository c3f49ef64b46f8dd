/**
 * Fine-tuning with a frozen backbone (`train --freeze features`) against a full training step: the same model,
 * batch and backend, one lossAndGrad + SGD step each, samples alternating so both see the same background load.
 * Prints the median seconds per step of each and their ratio. Not a test: the machine is shared and noisy.
 * Run: node --import tsx bench/frozen-step.ts [--arch densenet121] [--size 224] [--batch 8] [--runs 5]
 */
import { getBackend } from '../src/backend/select.js';
import { headParameterNames } from '../src/models/adapt.js';
import { DenseNet } from '../src/models/densenet.js';
import { variantConfig } from '../src/models/variants.js';
import { SGD } from '../src/optim/sgd.js';
import { Tensor } from '../src/tensor/tensor.js';

const args = process.argv.slice(2);
const opt = (name: string, d: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const arch = opt('arch', 'densenet121');
const size = Number(opt('size', '224'));
const batch = Number(opt('batch', '8'));
const runs = Number(opt('runs', '5'));

const cfg = { ...variantConfig(arch), numClasses: 10 };
const model = new DenseNet(cfg, 0).train();
const backend = await getBackend(undefined, undefined, { training: true });
const c = model.inChannels;
const x = new Tensor(Float32Array.from({ length: batch * c * size * size }, (_, i) => Math.sin(i * 0.37)), [batch, c, size, size]);
const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
const head = new Set(headParameterNames(model));
const all = new SGD(model.namedParameters(), { lr: 1e-4, momentum: 0.9 });
const headOnly = new SGD(model.namedParameters().filter(([n]) => head.has(n)), { lr: 1e-4, momentum: 0.9 });

function step(frozen: boolean): number {
  const t0 = performance.now();
  model.lossAndGrad(x, labels, backend, { frozenBody: frozen });
  (frozen ? headOnly : all).step();
  return (performance.now() - t0) / 1000;
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
step(false); // warm-up: workspaces grow once
step(true);
const full: number[] = [];
const frozen: number[] = [];
for (let r = 0; r < runs; r++) {
  full.push(step(false));
  frozen.push(step(true));
}
const f = median(full);
const z = median(frozen);
console.log(`${arch} ${c}x${size}x${size} batch ${batch}, ${backend.name} backend (${backend.threads} threads), median of ${runs}:`);
console.log(`  full training step (forward, backward, SGD on ${model.numParameters().toLocaleString('en-US')} params): ${f.toFixed(3)} s`);
console.log(`  --freeze features (eval-mode forward, head backward, SGD on the head):  ${z.toFixed(3)} s`);
console.log(`  frozen / full: ${(z / f).toFixed(3)} (${(f / z).toFixed(1)}x faster per step)`);
