/**
 * Preprocessing parity with torchvision 0.14 (PIL 9.4) on the committed photos (test/fixtures/photos), against
 * the pixels reference/make_vision_fixtures.py wrote with torchvision's own transforms:
 * - decoding: sharp's full-size RGB has the same SHA-256 as PIL's convert('RGB') (measured apart from the resize,
 *   so a decoder difference could not hide in, or be blamed on, the resampler);
 * - the ImageNet preset (Resize(256) + CenterCrop(224)), two downsampling presets (Resize(64|61) + CenterCrop(56),
 *   where the antialiasing support and the half-to-even crop offsets matter) and the grayscale path: our uint8
 *   pixels equal torchvision's exactly (tolerance 0: same decoder bytes, same fixed-point arithmetic);
 * - ToTensor + Normalize: computed with torch's float32 roundings, so the normalised tensor is the one torch
 *   computes from the same bytes; its per-channel mean/std/min/max match the fixture's within 1e-6.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import sharp from 'sharp';
import { readSafetensors } from '../../src/io/safetensors.js';
import { decodeImage } from '../../src/vision/image.js';
import { loadImage, loadPixels } from '../../src/vision/preprocess.js';
import { normalize, resizeAndCrop } from '../../src/vision/preprocess-pixels.js';
import { IMAGENET_PRESET, type PreprocessSpec } from '../../src/vision/preprocess-spec.js';
import { FIXTURES } from '../helpers/fixtures.js';

const PHOTOS = FIXTURES + 'photos/';
const fx = readSafetensors(readFileSync(FIXTURES + 'vision/torchvision-preprocess.safetensors'));
const sums = JSON.parse(fx.metadata.photos) as Record<string, { decoded: string; decodedSize: number[]; preset: string }>;
const full = JSON.parse(fx.metadata.full) as string[];
const sha = (b: Uint8Array | Uint8ClampedArray): string => createHash('sha256').update(b).digest('hex');

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function tensor(name: string): Float32Array {
  const t = fx.tensors.get(name);
  assert.ok(t, `fixture has no ${name}`);
  return t.data;
}

const small = (shortSide: number, C: 1 | 3): PreprocessSpec => ({
  resize: { mode: 'short-side', shortSide }, inputSize: [C, 56, 56], mean: C === 3 ? [0.5, 0.5, 0.5] : [0.5], std: C === 3 ? [0.5, 0.5, 0.5] : [0.5],
});

for (const name of Object.keys(sums).sort()) {
  test(`decode ${name}: sharp's RGB bytes equal PIL's convert('RGB')`, async () => {
    const img = await decodeImage(PHOTOS + name);
    assert.deepEqual([img.height, img.width, img.channels], sums[name].decodedSize);
    assert.equal(sha(img.data), sums[name].decoded, `${name}: decoded pixels differ from PIL's`);
  });

  test(`preset ${name}: Resize(256)+CenterCrop(224) uint8 pixels equal torchvision's (max abs diff 0)`, async () => {
    const px = await loadPixels(PHOTOS + name, IMAGENET_PRESET);
    assert.equal(px.length, 224 * 224 * 3);
    if (full.includes(name)) {
      const ref = await sharp(FIXTURES + `vision/torchvision-${name}.png`).raw().toBuffer();
      assert.equal(maxAbs(px, ref), 0, `${name}: max abs uint8 difference`);
    }
    assert.equal(sha(px), sums[name].preset, `${name}: preset pixels differ from torchvision's`);
  });

  test(`small presets ${name}: Resize(64|61)+CenterCrop(56), RGB and gray, equal torchvision's`, async () => {
    const img = await decodeImage(PHOTOS + name);
    assert.equal(maxAbs(resizeAndCrop(img, small(64, 3)), tensor(`r64c56.${name}`)), 0, 'r64c56');
    assert.equal(maxAbs(resizeAndCrop(img, small(61, 3)), tensor(`r61c56.${name}`)), 0, 'r61c56');
    assert.equal(maxAbs(resizeAndCrop(img, small(64, 1)), tensor(`gray.${name}`)), 0, 'gray');
  });

  test(`normalised ${name}: ToTensor+Normalize per-channel mean/std/min/max match torch's within 1e-6`, async () => {
    const { input, display } = await loadImage(PHOTOS + name, IMAGENET_PRESET);
    assert.deepEqual([display.width, display.height, display.data.length], [224, 224, 224 * 224 * 3]);
    assert.equal(maxAbs(input, normalize(display.data, 3, 224, 224, IMAGENET_PRESET.mean, IMAGENET_PRESET.std)), 0);
    const ref = tensor(`norm.${name}`); // [3][mean, std, min, max]
    const plane = 224 * 224;
    for (let c = 0; c < 3; c++) {
      const x = input.subarray(c * plane, (c + 1) * plane);
      let s = 0;
      for (const v of x) s += v;
      const mean = s / plane;
      let q = 0;
      for (const v of x) q += (v - mean) ** 2;
      const got = [mean, Math.sqrt(q / (plane - 1)), Math.min(...x), Math.max(...x)];
      const diff = maxAbs(got, ref.subarray(4 * c, 4 * c + 4));
      assert.ok(diff <= 1e-6, `${name} channel ${c}: summary ${got.join(',')} vs torch ${[...ref.subarray(4 * c, 4 * c + 4)].join(',')} (max diff ${diff})`);
    }
  });
}
