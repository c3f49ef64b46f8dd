/**
 * `densenet train --finetune` / `--pretrained` end to end on small synthetic image folders written with sharp: a
 * source checkpoint of 3 classes and 3 channels fine-tuned on 2 classes and 1 channel (classifier replaced,
 * conv0 summed), --freeze features leaving the backbone bit-identical, --backbone-lr scaling the backbone's update,
 * the source's normalisation kept when the channels are unchanged, the checkpoint evaluating with no model flags,
 * the default input size (the images' own), torchvision's weights through --pretrained, and the one-line errors.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { STATS } from '../../src/data/transforms.js';
import { readWeightsFile, writeSafetensorsFile } from '../../src/io/weights-file.js';
import { DenseNet } from '../../src/models/densenet.js';
import type { DenseNetConfig } from '../../src/models/config.js';
import { readCheckpoint, type Checkpoint } from '../../src/train/checkpoint.js';
import { densenet } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TINY = ['--block-config', '2,2', '--growth-rate', '4', '--init-features', '8', '--stem', 'cifar'];
const STEP = ['--epochs', '1', '--batch-size', '16'];
const tmp = mkdtempSync(join(tmpdir(), 'dn-finetune-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** `n` PNGs per class of size x size (or size+3 for odd i when `vary`), class c brighter in channel c mod 3. */
async function folder(root: string, classes: number, n: number, size: number, vary = false): Promise<string> {
  for (let c = 0; c < classes; c++) {
    mkdirSync(join(root, `class${c}`), { recursive: true });
    for (let i = 0; i < n; i++) {
      const s = vary && i % 2 === 1 ? size + 3 : size;
      const raw = Buffer.alloc(s * s * 3);
      for (let p = 0; p < s * s; p++) for (let k = 0; k < 3; k++) raw[p * 3 + k] = (k === c % 3 ? 170 : 40) + ((p * 7 + i * 13 + k * 5) % 60);
      writeFileSync(join(root, `class${c}`, `${i}.png`), await sharp(raw, { raw: { width: s, height: s, channels: 3 } }).png().toBuffer());
    }
  }
  return root;
}

function run(args: string[], env: Record<string, string> = {}): string {
  const r = densenet(args, env);
  assert.equal(r.code, 0, r.stderr);
  return r.stderr;
}

function fail(args: string[], pattern: RegExp): void {
  const r = densenet(args);
  assert.equal(r.code, 1, `expected exit 1: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
}

const isRunningStat = (n: string): boolean => /running_(mean|var)|num_batches_tracked/.test(n);

let rgb3 = '';
let pets2 = '';
let source = '';
let src: Checkpoint;
before(async () => {
  rgb3 = await folder(join(tmp, 'rgb3'), 3, 8, 12);
  pets2 = await folder(join(tmp, 'pets2'), 2, 8, 12);
  // the source: a tiny DenseNet trained (2 steps) on 3 RGB classes
  run(['train', '--data', rgb3, ...TINY, ...STEP, '--batch-size', '8', '--max-steps', '2', '--out', join(tmp, 'source')]);
  source = join(tmp, 'source', 'last.safetensors');
  src = await readCheckpoint(source);
});

test('--finetune 3 classes x 3 channels -> 2 classes x 1 channel with --freeze features (and resumed): head replaced, conv0 summed, backbone bit-identical', async () => {
  const out = join(tmp, 'frozen');
  const log = run(['train', '--data', pets2, '--finetune', source, '--in-channels', '1', '--freeze', 'features', ...STEP, '--batch-size', '8',
    '--max-steps', '2', '--out', out]);
  assert.match(log, /classifier replaced: 3 -> 2 classes/);
  assert.match(log, /features\.conv0 adapted from 3 to 1 input channels \(filters summed/);
  assert.match(log, /normalising with the data's own mean\/std/);
  assert.match(log, /backbone frozen .* training the 34 parameters of classifier/);
  // resuming keeps the backbone frozen (the run's options are in the checkpoint)
  const resumed = run(['train', '--data', pets2, '--resume', join(out, 'last.safetensors'), '--epochs', '2', '--batch-size', '8', '--out', out]);
  assert.match(resumed, /backbone frozen, as in the run resumed/);
  const ft = await readCheckpoint(join(out, 'last.safetensors'));
  assert.equal(ft.meta.config.numClasses, 2);
  assert.equal(ft.meta.config.inChannels, 1);
  assert.deepEqual(ft.meta.preprocessing.inputSize, [1, 12, 12]);
  assert.equal(ft.meta.preprocessing.mean.length, 1);
  assert.deepEqual(ft.meta.finetunedFrom, { kind: 'checkpoint', file: source, name: null });
  assert.equal(ft.meta.training?.step, 4);

  // conv0: the sum of the source's RGB filters, bit for bit (float32 sums in channel order)
  const w3 = src.state.get('features.conv0.weight')!;
  const w1 = ft.state.get('features.conv0.weight')!;
  assert.deepEqual(w1.shape, [8, 1, 3, 3]);
  for (let o = 0; o < 8; o++) {
    for (let p = 0; p < 9; p++) {
      const at = (c: number): number => w3.data[(o * 3 + c) * 9 + p];
      assert.equal(w1.data[o * 9 + p], Math.fround(Math.fround(Math.fround(0 + at(0)) + at(1)) + at(2)), `conv0[${o}][0][${p}]`);
    }
  }
  // every other backbone tensor (parameters and running statistics) bit-identical to the source
  let checked = 0;
  for (const [name, t] of ft.state) {
    if (name.startsWith('classifier.') || name === 'features.conv0.weight') continue;
    assert.deepEqual(t.data, src.state.get(name)!.data, `${name} changed`);
    checked++;
  }
  assert.ok(checked > 20 && [...ft.state.keys()].some(isRunningStat));
  // the classifier trained away from its seeded init; the optimiser held only its parameters
  const init = new DenseNet(ft.meta.config as unknown as DenseNetConfig, 0).stateDict().get('classifier.weight')!;
  assert.notDeepEqual(ft.state.get('classifier.weight')!.data, init.data);
  assert.deepEqual([...ft.momentum.keys()].sort(), ['classifier.bias', 'classifier.weight']);

  // the new checkpoint evaluates with no model flags (1 channel, 12x12, 2 classes from its metadata)
  const e = densenet(['eval', '--weights', join(out, 'last.safetensors'), '--data', pets2, '--json']);
  assert.equal(e.code, 0, e.stderr);
  const j = JSON.parse(e.stdout) as { top1: number; n: number };
  assert.equal(j.n, 16);
});

test('--backbone-lr 0.1 makes the backbone update 0.1x the full-lr one; the classifier update is unchanged; source mean/std kept', async () => {
  const sgd = ['--lr', '0.1', '--momentum', '0', '--no-nesterov', '--weight-decay', '0', '--schedule', 'constant', '--max-steps', '1'];
  const logA = run(['train', '--data', pets2, '--finetune', source, ...STEP, ...sgd, '--backbone-lr', '0.1', '--out', join(tmp, 'blr')]);
  run(['train', '--data', pets2, '--finetune', source, ...STEP, ...sgd, '--out', join(tmp, 'full')]);
  assert.match(logA, /backbone learning rate 0\.1 x the classifier's/);
  assert.match(logA, /normalising with the source weights' mean\/std/);
  assert.doesNotMatch(logA, /adapted/);
  const a = await readCheckpoint(join(tmp, 'blr', 'last.safetensors'));
  const b = await readCheckpoint(join(tmp, 'full', 'last.safetensors'));
  assert.deepEqual(a.meta.preprocessing.mean, src.meta.preprocessing.mean);
  assert.deepEqual(a.meta.preprocessing.std, src.meta.preprocessing.std);
  let sa = 0;
  let sb = 0;
  for (const [name, t] of a.state) {
    if (isRunningStat(name)) continue;
    const tb = b.state.get(name)!.data;
    if (name.startsWith('classifier.')) {
      // same seeded head, same gradient, same lr
      for (let i = 0; i < t.data.length; i++) assert.ok(Math.abs(t.data[i] - tb[i]) < 1e-6, `${name}[${i}]`);
      continue;
    }
    const s0 = src.state.get(name)!.data;
    let da = 0;
    let db = 0;
    for (let i = 0; i < s0.length; i++) {
      da += Math.abs(t.data[i] - s0[i]);
      db += Math.abs(tb[i] - s0[i]);
    }
    if (db > 1e-4) assert.ok(Math.abs(da / db - 0.1) < 0.01, `${name}: update ratio ${da / db}`);
    sa += da;
    sb += db;
  }
  assert.ok(sb > 0 && Math.abs(sa / sb - 0.1) < 0.002, `backbone update ratio ${sa / sb}`);
});

test('input size: a folder of 20x20 PNGs trains at 20x20 and the first line says so; mixed sizes fall back (fine-tuning: to the source size)', async () => {
  const digits = await folder(join(tmp, 'digits'), 2, 4, 20);
  const out = join(tmp, 'digits-out');
  const log = run(['train', '--data', digits, ...TINY, ...STEP, '--max-steps', '1', '--out', out]);
  assert.match(log.split('\n')[0], /images 3x20x20 \(all the same size; --input-size to change\)/);
  assert.deepEqual((await readCheckpoint(join(out, 'last.safetensors'))).meta.preprocessing.inputSize, [3, 20, 20]);
  const mixed = await folder(join(tmp, 'mixed'), 2, 4, 14, true);
  const ft = run(['train', '--data', mixed, '--finetune', source, ...STEP, '--max-steps', '1', '--out', join(tmp, 'mixed-out')]);
  assert.match(ft.split('\n')[0], /images 3x12x12 \(sizes differ; .*last\.safetensors's input size; --input-size to change\)/);
  const given = run(['train', '--data', digits, ...TINY, ...STEP, '--max-steps', '1', '--input-size', '16', '--out', join(tmp, 'given-out')]);
  assert.match(given.split('\n')[0], /images 3x16x16 \(--input-size\)/);
});

test('plain weights: fine-tuned with the flags that describe them; errors: with --resume, unknown --freeze, checkpoint for another --arch, plain weights without --arch or not fitting it', async () => {
  const base = ['train', '--data', pets2, ...STEP, '--out', join(tmp, 'err')];
  fail([...base, '--finetune', source, '--resume', source], /--resume continues a run with its own weights; drop --finetune/);
  fail([...base, '--finetune', source, '--freeze', 'everything'], /--freeze: unknown value 'everything' \(known: features\)/);
  fail([...base, '--finetune', source, '--freeze', 'features', '--backbone-lr', '0.1'], /exclude each other/);
  fail([...base, ...TINY, '--freeze', 'features'], /--freeze needs --finetune FILE or --pretrained NAME/);
  fail([...base, '--finetune', source, '--arch', 'densenet-bc-100'], /last\.safetensors does not fit densenet-bc-100 \(growthRate: asked 12, checkpoint has 4/);
  const plain = join(tmp, 'plain.safetensors');
  await writeSafetensorsFile(plain, src.state, {});
  fail([...base, '--finetune', plain], /plain\.safetensors: no model config in the file \(plain weights\); give --arch/);
  fail([...base, '--finetune', plain, '--arch', 'densenet-bc-100'], /plain\.safetensors does not fit densenet-bc-100: load_state_dict: /);
  // the same plain weights with the flags that describe them: fine-tuned, normalised with the data's own statistics
  const ok = run([...base, '--finetune', plain, ...TINY, '--max-steps', '1']);
  assert.match(ok, /fine-tuning from .*plain\.safetensors \(weights for the model flags\)/);
  assert.match(ok, /classifier replaced: 3 -> 2 classes/);
  assert.match(ok, /normalising with the data's own mean\/std/);
  assert.deepEqual((await readCheckpoint(join(tmp, 'err', 'last.safetensors'))).meta.finetunedFrom, { kind: 'weights', file: plain, name: null });
  fail([...base, '--pretrained', 'densenet7'], /--pretrained: unknown name 'densenet7'/);
});

const TORCHVISION = join(ROOT, 'test/fixtures/large/densenet121.pth');
test('--pretrained densenet121 from the cache (DENSENET_HOME): 1000 -> 2 classes, ImageNet mean/std, frozen features unchanged',
  { skip: existsSync(TORCHVISION) ? false : `needs ${TORCHVISION} (/usr/bin/python3 reference/make_fixtures.py --large)` }, async () => {
    const home = join(tmp, 'home');
    mkdirSync(home);
    copyFileSync(TORCHVISION, join(home, 'densenet121-a639ec97.pth'));
    const photos = await folder(join(tmp, 'photos32'), 2, 4, 32);
    const out = join(tmp, 'pretrained-out');
    const log = run(['train', '--data', photos, '--pretrained', 'densenet121', '--freeze', 'features', ...STEP, '--batch-size', '8', '--max-steps', '1',
      '--out', out], { DENSENET_HOME: home });
    assert.match(log, /fine-tuning from densenet121 \(torchvision's ImageNet weights/);
    assert.match(log, /classifier replaced: 1000 -> 2 classes/);
    assert.match(log, /normalising with the source weights' mean\/std/);
    const ft = await readCheckpoint(join(out, 'last.safetensors'));
    assert.equal(ft.meta.arch, 'densenet121');
    assert.deepEqual(ft.meta.preprocessing.mean, [...STATS.imagenet.mean]);
    assert.deepEqual(ft.meta.preprocessing.std, [...STATS.imagenet.std]);
    assert.equal(ft.meta.finetunedFrom?.kind, 'pretrained');
    assert.equal(ft.meta.finetunedFrom?.name, 'densenet121');
    const tv = (await readWeightsFile(TORCHVISION)).tensors;
    for (const [name, t] of ft.state) {
      if (!name.startsWith('classifier.') && tv.has(name)) assert.deepEqual(t.data, tv.get(name)!.data, `${name} changed`);
    }
  });
