/**
 * The `densenet` command end to end, as a user runs it (a child process): list, summary --json for every named
 * variant, infer with torchvision weights (current and legacy key names), and one-line errors with exit code 1
 * for bad input (unknown model, wrong channels, truncated weights, missing keys, unknown flags).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../src/io/safetensors.js';
import { assertClose } from '../helpers/check.js';
import { densenet } from '../helpers/cli.js';
import { EXPECTED_PARAMS } from '../helpers/expected.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODELS = join(ROOT, 'test/fixtures/models/');
const TINY = ['--block-config', '2,3,2,2', '--growth-rate', '8', '--init-features', '16', '--num-classes', '10'];


/** A user-facing failure: exit 1, one line on stderr containing `pattern`, no stack trace. */
function assertFails(args: string[], pattern: RegExp): void {
  const r = densenet(args);
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('densenet: using the'));
  assert.match(lines.join('\n'), pattern);
  assert.ok(!/\n\s+at /.test(r.stderr), `stack trace on stderr: ${r.stderr}`);
}

test('summary --json prints every named variant\'s trainable parameter count', () => {
  for (const [name, params] of Object.entries(EXPECTED_PARAMS)) {
    const r = densenet(['summary', name, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { params: number; macs: number };
    assert.equal(j.params, params, name);
    if (name === 'densenet121') assert.equal(j.macs, 2_834_161_664);
  }
});

test('summary prints the layer table and per-block connectivity; list names every variant', () => {
  const r = densenet(['summary', 'densenet-bc-100', '--input', '3x32x32']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /features\.denseblock3\.denselayer16\s+DenseLayer/);
  assert.match(r.stdout, /denseblock1\s+16\s+136\s+24 -> 216/);
  assert.match(r.stdout, /params \(trainable\): 769,162/);
  const l = densenet(['list']);
  assert.equal(l.code, 0, l.stderr);
  for (const name of Object.keys(EXPECTED_PARAMS)) assert.match(l.stdout, new RegExp(`^${name}\\s`, 'm'));
});

test('infer with torchvision .pth weights (current and legacy key names) gives PyTorch\'s logits', () => {
  const expected = readSafetensors(readFileSync(MODELS + 'tiny-imagenet.safetensors')).tensors.get('logits')!;
  const dir = mkdtempSync(join(tmpdir(), 'dn-infer-'));
  for (const file of ['tiny-imagenet.pth', 'tiny-imagenet-legacy.pth']) {
    const out = join(dir, `${file}.safetensors`);
    const r = densenet(['infer', ...TINY, '--weights', MODELS + file, '--input', MODELS + 'tiny-imagenet.safetensors', '--output', out, '--batch-size', '1']);
    assert.equal(r.code, 0, r.stderr);
    const logits = readSafetensors(readFileSync(out)).tensors.get('logits')!;
    assert.deepEqual(logits.shape, [2, 10]);
    assertClose(logits.data, expected.data, `${file} logits`, 1e-4);
  }
});

test('bad input: one clear line and exit code 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-bad-'));
  const input = MODELS + 'tiny-imagenet.safetensors';
  const out = join(dir, 'o.safetensors');
  assertFails(['summary', 'densenet12'], /unknown model 'densenet12'/);
  assertFails(['summary', 'densenet121', '--input', '3x16x16'], /too small/);
  assertFails(['summary', 'densenet121', '--bogus'], /unknown option '--bogus'/);
  assertFails(['infer', '--arch', 'densenet-bc-100', '--in-channels', '1', '--input', input, '--output', out], /input has 3 channels but the model expects 1/);
  const truncated = join(dir, 'truncated.pth');
  writeFileSync(truncated, readFileSync(MODELS + 'tiny-imagenet.pth').subarray(0, 5000));
  assertFails(['infer', ...TINY, '--weights', truncated, '--input', input, '--output', out], /truncated\.pth: /);
  const garbage = join(dir, 'garbage.safetensors');
  writeFileSync(garbage, Buffer.from('this is not a weights file at all'));
  assertFails(['infer', ...TINY, '--weights', garbage, '--input', input, '--output', out], /garbage\.safetensors: /);
  assertFails(['infer', '--arch', 'densenet121', '--weights', MODELS + 'tiny-imagenet.pth', '--input', input, '--output', out],
    /load_state_dict: 490 missing keys .* 116 shape mismatches \(features\.conv0\.weight: file \[16,3,7,7\] vs model \[64,3,7,7\]/);
  assertFails(['infer', '--arch', 'densenet-bc-100', '--weights', MODELS + 'tiny-imagenet.pth', '--input', input, '--output', out],
    /missing keys .*unexpected keys \(features\.norm0\.weight/);
  assertFails(['infer', ...TINY, '--input', join(dir, 'nope.safetensors'), '--output', out], /cannot read .*nope\.safetensors: ENOENT/);
  assertFails(['infer', ...TINY, '--weights', MODELS + 'tiny-imagenet.pth', '--input', input, '--output', out, '--backend', 'gpu'], /unknown backend 'gpu'/);
});
