/**
 * `densenet train` and `densenet eval` end to end: a short real training on a Fashion-MNIST sample whose loss
 * falls, eval --json from the checkpoint, Ctrl-C saving and exiting cleanly, and bad input (missing or empty
 * data folders, unreadable images, too many classes, an unknown flag, a checkpoint for another architecture).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FASHION_MNIST_DIR } from '../../src/data/resolve.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { densenet } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TINY = ['--block-config', '2,2', '--growth-rate', '4', '--init-features', '8', '--stem', 'cifar'];
const haveFashion = existsSync(FASHION_MNIST_DIR);
const skipFashion = haveFashion ? false : `needs ${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)`;

test('a short real training on Fashion-MNIST: the loss falls, artefacts are written, eval reads the checkpoint', { skip: skipFashion }, () => {
  const out = mkdtempSync(join(tmpdir(), 'dn-train-'));
  const r = densenet(['train', '--data', 'fashion-mnist', ...TINY, '--limit', '512', '--epochs', '3', '--batch-size', '32', '--lr', '0.1', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  assert.equal(rows.length, 3);
  for (const k of ['epoch', 'lr', 'train_loss', 'train_acc', 'val_loss', 'val_acc', 'images_per_s', 'seconds']) assert.ok(k in rows[0], `metrics lack ${k}`);
  assert.ok(rows[2].train_loss < rows[0].train_loss - 0.2, `train loss did not fall: ${rows.map((x) => x.train_loss).join(' -> ')}`);
  assert.ok(rows[2].val_acc > 0.3, `val accuracy ${rows[2].val_acc} not above chance`);
  for (const f of ['last.safetensors', 'best.safetensors', 'curves.svg']) assert.ok(existsSync(join(out, f)), `${f} missing`);
  const e = densenet(['eval', '--weights', join(out, 'best.safetensors'), '--data', 'fashion-mnist', '--json']);
  assert.equal(e.code, 0, e.stderr);
  const j = JSON.parse(e.stdout) as { top1: number; top5: number; loss: number; n: number };
  assert.equal(j.n, 10000);
  assert.ok(j.top1 > 0.3 && j.top1 <= j.top5 && j.top5 <= 1, e.stdout);
  // resuming with flags for another architecture is refused
  const bad = densenet(['train', '--data', 'fashion-mnist', '--arch', 'densenet-bc-100', '--resume', join(out, 'last.safetensors'), '--out', out, '--epochs', '4']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /checkpoint for another architecture \(growthRate: asked 12, checkpoint has 4/);
});

test('Ctrl-C during training saves last.safetensors and exits cleanly', { skip: skipFashion }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'dn-sigint-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'train', '--data', 'fashion-mnist', ...TINY,
    '--limit', '4000', '--epochs', '1', '--batch-size', '16', '--out', out], { cwd: ROOT });
  let stderr = '';
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/epoch 1\/1 \d+\/250/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    child.on('exit', (c) => resolve(c));
  });
  assert.equal(code, 0, stderr);
  assert.match(stderr, /interrupted; saving/);
  assert.match(stderr, /continue with --resume/);
  const ck = await readCheckpoint(join(out, 'last.safetensors'));
  assert.ok((ck.meta.training?.batchInEpoch ?? 0) > 0, 'the partial epoch is recorded');
});

test('bad data: missing or empty folders, unreadable images, too many classes, unknown flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-data-'));
  const fail = (args: string[], pattern: RegExp): void => {
    const r = densenet(args);
    assert.equal(r.code, 1, `expected exit 1: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(!/\n\s+at /.test(r.stderr), r.stderr);
  };
  fail(['train', '--data', join(dir, 'nope'), ...TINY], /nope/);
  mkdirSync(join(dir, 'empty'));
  fail(['train', '--data', join(dir, 'empty'), ...TINY], /empty|no class/i);
  mkdirSync(join(dir, 'broken', 'cat'), { recursive: true });
  writeFileSync(join(dir, 'broken', 'cat', 'a.png'), 'not a png');
  fail(['train', '--data', join(dir, 'broken'), ...TINY], /none of the 1 images .* could be read \(first: .*a\.png/);
  fail(['train', '--data', 'fashion-mnist', ...TINY, '--frobnicate'], /unknown option '--frobnicate'/);
  if (haveFashion) fail(['train', '--data', 'fashion-mnist', ...TINY, '--num-classes', '5'], /10 classes but the model predicts 5/);
});

test('compare trains each model with one recipe and prints one table', { skip: skipFashion }, () => {
  const out = mkdtempSync(join(tmpdir(), 'dn-compare-'));
  const r = densenet(['compare', '--archs', 'densenet-bc-100,resnet20', '--data', 'fashion-mnist', '--limit', '128', '--epochs', '1',
    '--batch-size', '32', '--max-steps', '2', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { arch: string; params: number; macs: number; best_val_acc: number; images_per_s: number; train_memory_bytes: number }[];
  assert.deepEqual(rows.map((x) => x.arch), ['densenet-bc-100', 'resnet20']);
  // grayscale input: conv0 has 1 input channel, so 2 x 9 x 24 = 432 fewer weights than the 3-channel 769,162
  assert.equal(rows[0].params, 769_162 - 2 * 9 * 24);
  for (const x of rows) assert.ok(x.macs > 0 && x.images_per_s > 0 && x.train_memory_bytes > 0, JSON.stringify(x));
  for (const a of ['densenet-bc-100', 'resnet20']) assert.ok(existsSync(join(out, a, 'metrics.jsonl')));
});

test('--max-memory picks a batch that fits, or refuses up front with the estimate', { skip: skipFashion }, () => {
  const out = mkdtempSync(join(tmpdir(), 'dn-mem-'));
  const r = densenet(['train', '--data', 'fashion-mnist', '--arch', 'densenet-bc-100', '--batch-size', '256', '--max-memory', '400MB',
    '--max-steps', '1', '--limit', '300', '--epochs', '1', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const m = /batch 256 would need about (\S+ \S+) > --max-memory 400MB; using batch (\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.ok(Number(m[2]) < 256 && Number(m[2]) >= 1);
  const refused = densenet(['train', '--data', 'fashion-mnist', '--arch', 'densenet-bc-250', '--max-memory', '50MB', '--out', out]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /--max-memory 50MB: even batch 1 needs about .* MiB/);
});
