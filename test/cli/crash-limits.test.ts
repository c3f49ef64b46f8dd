/**
 * `densenet train` at its limits, as a user runs it: an unwritable --out is one error before any data is read;
 * a learning rate that blows up exits 1 naming the step and the first parameter, the checkpoint on disk being the
 * last good step's; a batch beyond the machine's memory is refused with the planner's estimate; an image folder
 * with non-image and unreadable files trains on the rest and says what it skipped; bad --save-every and
 * --clip-grad-norm values are refused.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { densenet } from '../helpers/cli.js';
import { tinyIdxData, TINY } from './crash-helpers.js';

const oneLine = (stderr: string): void => {
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.ok(!/\n\s+at /.test(stderr), stderr);
};

test('an --out under a regular file is one error before any data is read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-out-'));
  writeFileSync(join(dir, 'file.txt'), 'a file');
  const r = densenet(['train', '--data', join(dir, 'no-such-data'), ...TINY, '--out', join(dir, 'file.txt', 'sub')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^densenet: train: the output folder .*file\.txt\/sub is not writable \(ENOTDIR: /);
  oneLine(r.stderr);
});

test('a learning rate that blows up exits 1 naming the step and the first parameter; the checkpoint is the last good step', async () => {
  const out = mkdtempSync(join(tmpdir(), 'dn-blowup-'));
  const r = densenet(['train', '--data', tinyIdxData(), ...TINY, '--epochs', '2', '--batch-size', '4', '--lr', '1e10', '--save-every', '1', '--out', out]);
  assert.equal(r.code, 1, r.stderr);
  const m = /densenet: train: diverged at step (\d+): loss \S+, non-finite gradient \((NaN|-?Infinity)\) first in (\S+) \(\d+ of \d+ parameters affected, in model order\); the last good checkpoint \S+ \(step (\d+)\) is kept/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.equal(m[3], 'features.conv0.weight');
  assert.equal(Number(m[4]), Number(m[1]) - 1);
  const ck = await readCheckpoint(join(out, 'last.safetensors'));
  assert.equal(ck.meta.training?.step, Number(m[4]));
  for (const [name, t] of ck.state) assert.ok(t.data.every(Number.isFinite), `${name} holds a non-finite value on disk`);
});

test('a batch beyond the machine memory is refused up front with the planner estimate', () => {
  const r = densenet(['train', '--data', tinyIdxData(20_000, 8), '--arch', 'densenet-bc-190', '--batch-size', '20000', '--out', mkdtempSync(join(tmpdir(), 'dn-oom-'))]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /densenet: train: batch 20000 at 1x8x8 needs about [\d.]+ GiB \(planner estimate, memory-efficient on\) but this machine has [\d.]+ GiB; use a smaller --batch-size or --max-memory/);
});

test('an image folder with non-image and unreadable files trains on the rest and reports what it skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-folder-'));
  for (const [c, v] of [['dark', 30], ['light', 220]] as const) {
    mkdirSync(join(dir, c));
    for (let i = 0; i < 4; i++) {
      const png = await sharp({ create: { width: 6, height: 6, channels: 3, background: { r: v, g: v + i, b: v } } }).png().toBuffer();
      writeFileSync(join(dir, c, `${i}.png`), png);
    }
  }
  writeFileSync(join(dir, 'dark', 'broken.jpg'), 'not a jpeg');
  writeFileSync(join(dir, 'light', 'truncated.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]));
  writeFileSync(join(dir, 'light', 'README.txt'), 'not an image extension: ignored');
  const out = mkdtempSync(join(tmpdir(), 'dn-folder-out-'));
  const r = densenet(['train', '--data', dir, ...TINY, '--input-size', '8', '--epochs', '1', '--batch-size', '4', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /image-folder: skipped 2 unreadable images \(first: .*broken\.jpg: /);
  assert.match(r.stderr, /on .* 8 train \/ 0 val images 3x8x8/);
});

test('--save-every and --clip-grad-norm take positive numbers', () => {
  for (const [flag, v, what] of [['--save-every', '0', 'a positive integer'], ['--clip-grad-norm', '-1', 'a positive number'], ['--clip-grad-norm', 'x', 'a positive number']]) {
    const r = densenet(['train', '--data', 'nowhere', ...TINY, flag, v]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${flag} expects ${what}, got '${v}'`));
    oneLine(r.stderr);
  }
});
