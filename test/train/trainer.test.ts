/**
 * The training loop: exact resume (2 epochs in one run == 1 epoch + resume for 1), interrupted runs continue
 * exactly mid-epoch, metrics/checkpoints/curves are written, and a checkpoint round-trips its metadata.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { availableBackends } from '../../src/backend/select.js';
import { fromArrays } from '../../src/data/dataset.js';
import { DenseNet } from '../../src/models/densenet.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { fit, type TrainConfig } from '../../src/train/trainer.js';
import { Rng } from '../../src/tensor/rng.js';

const backend = (await availableBackends()).find((b) => b.backward !== undefined)!;

/** 48 random 1x12x12 images in 3 classes whose mean brightness depends on the class (learnable). */
function toyData(n = 48): ReturnType<typeof fromArrays> {
  const rng = new Rng(5);
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  const images = new Uint8Array(n * 144);
  for (let i = 0; i < n; i++) for (let j = 0; j < 144; j++) images[i * 144 + j] = Math.min(255, Math.floor(60 * labels[i] + 100 * rng.uniform()));
  return fromArrays(images, labels, { channels: 1, height: 12, width: 12 }, ['a', 'b', 'c']);
}

const model = (): DenseNet => new DenseNet({ growthRate: 4, blockConfig: [2, 2], initFeatures: 8, stem: 'cifar', inChannels: 1, numClasses: 3, dropRate: 0.2 }, 3);
const config = (epochs: number, extra: Partial<TrainConfig> = {}): TrainConfig => ({
  epochs, batchSize: 8, lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4, noDecayOnBnAndBias: true,
  schedule: 'cosine', warmupEpochs: 0.5, augment: { pad: 2, flip: true }, seed: 11, maxSteps: null, memoryEfficient: true, ...extra,
});
const pre = { mean: [0.5], std: [0.25], inputSize: [1, 12, 12] as [number, number, number] };

async function run(outDir: string, m: DenseNet, c: TrainConfig, resumeFrom?: string, shouldStop?: () => boolean) {
  const data = toyData();
  const resume = resumeFrom !== undefined ? await readCheckpoint(resumeFrom) : undefined;
  if (resume) m.loadStateDict(resume.state);
  return fit({ model: m, arch: null, backend, train: data, val: toyData(12), classNames: data.classNames, preprocessing: pre, config: c, outDir, ...(resume ? { resume } : {}), ...(shouldStop ? { shouldStop } : {}) });
}

test(`${backend.name}: 2 epochs in one run give the same weights as 1 epoch + resume for 1`, async () => {
  const dirA = mkdtempSync(join(tmpdir(), 'dn-a-'));
  const dirB = mkdtempSync(join(tmpdir(), 'dn-b-'));
  const a = model();
  await run(dirA, a, config(2));
  await run(dirB, model(), config(2, { maxSteps: 6 })); // epoch 1 = 6 steps of 8 images: stops exactly at its end
  const b = model();
  const r = await run(dirB, b, config(2), join(dirB, 'last.safetensors'));
  assert.equal(r.state.epoch, 2);
  const sb = b.stateDict();
  for (const [name, t] of a.stateDict()) assert.deepEqual(sb.get(name)!.data, t.data, `${name} differs after resume`);
  const rows = readFileSync(join(dirB, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number });
  assert.deepEqual(rows.map((x) => x.epoch), [1, 2]);
  assert.match(readFileSync(join(dirB, 'curves.svg'), 'utf8'), /^<svg/);
});

test(`${backend.name}: a run interrupted mid-epoch resumes exactly`, async () => {
  const dirA = mkdtempSync(join(tmpdir(), 'dn-c-'));
  const dirB = mkdtempSync(join(tmpdir(), 'dn-d-'));
  const a = model();
  await run(dirA, a, config(1));
  let steps = 0;
  await run(dirB, model(), config(1), undefined, () => ++steps >= 4); // "Ctrl-C" after 4 of 6 steps
  const ck = await readCheckpoint(join(dirB, 'last.safetensors'));
  assert.equal(ck.meta.training?.batchInEpoch, 4);
  assert.equal(ck.momentum.size, a.namedParameters().length);
  const b = model();
  await run(dirB, b, config(1), join(dirB, 'last.safetensors'));
  const sb = b.stateDict();
  for (const [name, t] of a.stateDict()) assert.deepEqual(sb.get(name)!.data, t.data, `${name} differs after mid-epoch resume`);
});

test('checkpoint metadata: config, classes, preprocessing; best has no optimizer state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-e-'));
  await run(dir, model(), config(1));
  const best = await readCheckpoint(join(dir, 'best.safetensors'));
  assert.deepEqual(best.meta.classNames, ['a', 'b', 'c']);
  assert.deepEqual(best.meta.preprocessing, pre);
  assert.equal(best.meta.family, 'densenet');
  assert.equal((best.meta.config as { growthRate: number }).growthRate, 4);
  assert.equal(best.momentum.size, 0);
  const m = model();
  m.loadStateDict(best.state); // torchvision names only
});
