/**
 * One measured training run in a process of its own (so its peak RSS is its own): a few SGD steps of a DenseNet
 * at a batch size, memory-efficient or naive. Prints one JSON line. Spawned by bench/memory.ts and bench/bench.ts.
 *   node --import tsx bench/train-once.ts --model densenet-bc-100 --batch 64 --size 32 --steps 5 [--naive]
 */
import { getBackend } from '../src/backend/select.js';
import { DenseNet } from '../src/models/densenet.js';
import { variantConfig, type VariantConfig } from '../src/models/variants.js';
import { SGD } from '../src/optim/sgd.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';

/** Depths the memory benchmark needs that are not named variants. */
const EXTRA: Record<string, VariantConfig> = {
  'densenet-bc-190-k12': { growthRate: 12, blockConfig: [31, 31, 31], initFeatures: 24, bottleneck: true, bnSize: 4, compression: 0.5, numClasses: 10, stem: 'cifar' },
};

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

const model = arg('model', 'densenet-bc-100');
const batch = Number(arg('batch', '64'));
const size = Number(arg('size', '32'));
const steps = Number(arg('steps', '5'));
const warmup = Number(arg('warmup', '1'));
const naive = process.argv.includes('--naive');

const backend = await getBackend(undefined, () => {}, { training: true });
const net = new DenseNet(EXTRA[model] ?? variantConfig(model), 0).train();
const sgd = new SGD(net.namedParameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
const rng = new Rng(1);
const x = new Tensor(new Float32Array(batch * 3 * size * size).map(() => rng.normal()), [batch, 3, size, size]);
const labels = Int32Array.from({ length: batch }, () => rng.int(net.config.numClasses));
const times: number[] = [];
for (let i = 0; i < warmup + steps; i++) {
  const t0 = performance.now();
  net.lossAndGrad(x, labels, backend, { memoryEfficient: !naive });
  sgd.step();
  if (i >= warmup) times.push((performance.now() - t0) / 1000);
}
times.sort((a, b) => a - b);
const step = times[Math.floor(times.length / 2)];
process.stdout.write(JSON.stringify({
  model, batch, size, memory_efficient: !naive, backend: backend.name, threads: backend.threads,
  step_s: step, images_per_s: batch / step,
  peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  activation_bytes: net.workspaceBytes(),
}) + '\n');
