/**
 * `densenet gradcam` as a user runs it (a child process): a checkpoint of a tiny DenseNet (3 channels and
 * 1 channel, a non-square input size from its preprocessing metadata) on a real photo writes a PNG of the
 * size the model saw; bad input is one line and exit code 1.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DenseNet } from '../../src/models/densenet.js';
import { writeCheckpoint } from '../../src/train/checkpoint.js';
import { densenet } from '../helpers/cli.js';

const PHOTOS = fileURLToPath(new URL('../fixtures/photos/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dn-gradcam-'));

async function checkpoint(name: string, inChannels: number, inputSize: [number, number, number]): Promise<string> {
  const model = new DenseNet({ blockConfig: [2, 2], growthRate: 4, initFeatures: 8, stem: 'cifar', inChannels, numClasses: 3 }, 1);
  const file = join(dir, name);
  const mean = inChannels === 3 ? [0.485, 0.456, 0.406] : [0.5];
  const std = inChannels === 3 ? [0.229, 0.224, 0.225] : [0.25];
  await writeCheckpoint(file, {
    family: 'densenet', arch: null, config: { ...model.config }, classNames: ['cat', 'coffee', 'rocket'],
    preprocessing: { mean, std, inputSize }, training: null,
  }, model.stateDict(), null);
  return file;
}

function assertFails(args: string[], pattern: RegExp): void {
  const r = densenet(args);
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('densenet: using the'));
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], pattern);
}

test('gradcam writes a PNG of the input size: 3 channels (asked class) and 1 channel (predicted class)', async () => {
  const rgb = await checkpoint('rgb.safetensors', 3, [3, 40, 48]);
  const out = join(dir, 'heat.png');
  const r = densenet(['gradcam', join(PHOTOS, 'chelsea.jpg'), '--weights', rgb, '--class', '2', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^class 2 \(rocket, asked\): p=0\.\d{4} logit=-?\d+\.\d{4}$/m);
  assert.match(r.stdout, new RegExp(`wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(48x40, Grad-CAM from 20x24 features\\)`));
  const meta = await sharp(out).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 48, 40, 3]);

  const gray = await checkpoint('gray.safetensors', 1, [1, 32, 32]);
  const out1 = join(dir, 'heat1.png');
  const g = densenet(['gradcam', join(PHOTOS, 'astronaut.png'), '--weights', gray, '--alpha', '0.7', '--out', out1]);
  assert.equal(g.code, 0, g.stderr);
  assert.match(g.stdout, /^class \d \((cat|coffee|rocket), predicted\): p=/m);
  const { data, info } = await sharp(out1).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [32, 32, 3]);
  assert.ok(data.some((v, i) => i % 3 === 0 && v !== data[i + 1]), 'the heat map colours the gray image');
});

test('gradcam bad input: one line and exit code 1', async () => {
  const rgb = await checkpoint('rgb2.safetensors', 3, [3, 32, 32]);
  const out = join(dir, 'bad.png');
  const text = join(dir, 'notes.jpg');
  writeFileSync(text, 'this is not an image');
  assertFails(['gradcam', text, '--weights', rgb, '--out', out], /notes\.jpg/);
  assertFails(['gradcam', join(PHOTOS, 'coffee.jpg'), '--weights', rgb, '--class', '3', '--out', out], /--class 3 is out of range: the model has 3 classes \(0\.\.2\)/);
  assertFails(['gradcam', join(PHOTOS, 'coffee.jpg'), '--weights', rgb, '--class', 'two', '--out', out], /--class expects a class index, got 'two'/);
  assertFails(['gradcam', join(PHOTOS, 'coffee.jpg'), '--weights', rgb], /--out FILE is required/);
  assertFails(['gradcam', join(PHOTOS, 'coffee.jpg'), '--weights', rgb, '--alpha', '2', '--out', out], /--alpha must be a number in \[0, 1\]/);
  assertFails(['gradcam', join(PHOTOS, 'coffee.jpg'), '--out', out], /give either --weights FILE or --pretrained NAME/);
});
