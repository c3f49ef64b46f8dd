/**
 * loadImage beyond torchvision's preset (which preprocess-parity.test.ts covers): 'cover' mode gives exactly the
 * pixels image-folder training decoded (RGB and 1-channel), the browser-safe preprocessPixels takes RGBA/RGB/gray
 * buffers, its sharp-free 'cover' stays close to sharp's, the resampler's invariants, and a file that is not an
 * image is one line naming it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadImageFolder } from '../../src/data/image-folder.js';
import { normalize as trainNormalize } from '../../src/data/transforms.js';
import { decodeImage } from '../../src/vision/image.js';
import { loadImage, loadPixels } from '../../src/vision/preprocess.js';
import { preprocessPixels, resizeAndCrop, shortSideSize } from '../../src/vision/preprocess-pixels.js';
import { IMAGENET_PRESET, type PreprocessSpec } from '../../src/vision/preprocess-spec.js';
import { resizeBilinearAA } from '../../src/vision/resample.js';
import { assertClose } from '../helpers/check.js';
import { FIXTURES } from '../helpers/fixtures.js';

const PHOTOS = join(FIXTURES, 'photos');
const names = readdirSync(PHOTOS).sort();

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** HWC -> CHW */
function chw(hwc: Uint8Array, C: number): Uint8Array {
  const n = hwc.length / C;
  const out = new Uint8Array(hwc.length);
  for (let c = 0; c < C; c++) for (let p = 0; p < n; p++) out[c * n + p] = hwc[p * C + c];
  return out;
}

for (const C of [3, 1] as const) {
  test(`cover ${C}x40x56: loadImage sees exactly the pixels image-folder training decoded`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'dn-cover-'));
    mkdirSync(join(root, 'photos'));
    for (const n of names) symlinkSync(join(PHOTOS, n), join(root, 'photos', n));
    const ds = await loadImageFolder(root, { channels: C, height: 40, width: 56 });
    assert.equal(ds.size, names.length);
    const mean = C === 3 ? [0.4, 0.5, 0.6] : [0.5];
    const std = C === 3 ? [0.2, 0.25, 0.3] : [0.25];
    const spec: PreprocessSpec = { resize: { mode: 'cover' }, inputSize: [C, 40, 56], mean, std };
    for (let i = 0; i < names.length; i++) {
      const px = await loadPixels(join(PHOTOS, names[i]), spec);
      assert.equal(maxAbs(chw(px, C), ds.image(i)), 0, names[i]);
      const { input, display } = await loadImage(join(PHOTOS, names[i]), spec);
      assert.equal(display.data.length, 40 * 56 * 3);
      // training normalises through a float64 table rounded once; torch's three float32 steps differ by an ulp
      assertClose(input, trainNormalize(ds.image(i), { channels: C, height: 40, width: 56 }, mean, std), `${names[i]} input`, 1e-6);
    }
  });
}

test('preprocessPixels: RGBA (alpha dropped), RGB and gray buffers; sharp-free cover within a few levels of sharp', async () => {
  const img = await decodeImage(join(PHOTOS, 'chelsea.jpg'));
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  for (let p = 0; p < img.width * img.height; p++) {
    rgba.set(img.data.subarray(3 * p, 3 * p + 3), 4 * p);
    rgba[4 * p + 3] = p % 251; // alpha must not matter
  }
  const fromRgb = preprocessPixels(img, IMAGENET_PRESET);
  const fromRgba = preprocessPixels({ data: rgba, width: img.width, height: img.height, channels: 4 }, IMAGENET_PRESET);
  assert.equal(maxAbs(fromRgb.input, fromRgba.input), 0);
  assert.equal(maxAbs(fromRgb.input, (await loadImage(join(PHOTOS, 'chelsea.jpg'), IMAGENET_PRESET)).input), 0);

  const gray = await decodeImage(join(PHOTOS, 'chelsea.jpg'), 1);
  const graySpec: PreprocessSpec = { ...IMAGENET_PRESET, inputSize: [1, 224, 224], mean: [0.5], std: [0.5] };
  assert.equal(maxAbs(resizeAndCrop(gray, graySpec), resizeAndCrop(img, graySpec)), 0, 'luma before the resize either way');

  const cover: PreprocessSpec = { resize: { mode: 'cover' }, inputSize: [3, 64, 64], mean: [0, 0, 0], std: [1, 1, 1] };
  // measured mean |diff| 0.8-3.5 levels at 64x64 (0.2-4.5 at 224x224, where libvips's upsampling differs most):
  // the same geometry (sharp's sizes and centre offsets), a different resampler
  for (const n of names) {
    const a = resizeAndCrop(await decodeImage(join(PHOTOS, n)), cover);
    const b = await loadPixels(join(PHOTOS, n), cover);
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
    assert.ok(sum / a.length <= 5, `${n}: sharp-free cover differs from sharp's by ${(sum / a.length).toFixed(2)} levels on average`);
  }
});

test('resizeBilinearAA: a constant image stays constant, same size is a copy, sizes as torchvision computes them', () => {
  const src = new Uint8Array(37 * 23 * 3).fill(200);
  for (const [w, h] of [[10, 7], [80, 50], [37, 5], [3, 23]]) {
    assert.ok(resizeBilinearAA(src, 37, 23, 3, w, h).every((v) => v === 200), `${w}x${h}`);
  }
  const ramp = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
  assert.deepEqual([...resizeBilinearAA(ramp, 4, 3, 1, 4, 3)], [...ramp]);
  assert.deepEqual(shortSideSize(300, 200, 256), [384, 256]);
  assert.deepEqual(shortSideSize(230, 320, 256), [256, 356]);
});

test('loadImage: a file that is not an image is one line naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-bad-'));
  const bad = join(dir, 'notes.jpg');
  writeFileSync(bad, 'hello\n');
  await assert.rejects(loadImage(bad, IMAGENET_PRESET), (e: Error) => e.message.startsWith(`${bad}: not a readable image (`) && !e.message.includes('\n'));
  const cover: PreprocessSpec = { resize: { mode: 'cover' }, inputSize: [3, 32, 32], mean: [0, 0, 0], std: [1, 1, 1] };
  await assert.rejects(loadImage(bad, cover), (e: Error) => e.message.startsWith(`${bad}: not a readable image (`));
  await assert.rejects(loadImage(join(dir, 'missing.png'), IMAGENET_PRESET), /missing\.png: not a readable image/);
});
