/**
 * resizeBilinearAA with a window: the same bytes as cropping the whole resize, for down- and upscales, one
 * unchanged axis, windows at the edges and the whole image; and a window outside the result is refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crop } from '../../src/vision/preprocess-pixels.js';
import { resizeBilinearAA } from '../../src/vision/resample.js';
import { Rng } from '../../src/tensor/rng.js';

function image(w: number, h: number, c: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: w * h * c }, () => Math.floor(rng.uniform() * 256));
}

test('resizeBilinearAA window = crop of the full resize (down, up, one axis unchanged, edges, whole)', () => {
  const cases: [number, number, number, number, number][] = [
    // w, h, c, outW, outH
    [300, 200, 3, 384, 256], [320, 213, 3, 384, 256], [256, 256, 3, 256, 256], [97, 61, 1, 40, 25],
    [64, 48, 3, 64, 30], [64, 48, 3, 30, 48], [37, 23, 3, 80, 50],
  ];
  let seed = 1;
  for (const [w, h, c, outW, outH] of cases) {
    const src = image(w, h, c, seed++);
    const full = resizeBilinearAA(src, w, h, c, outW, outH);
    const windows = [
      { left: 0, top: 0, width: outW, height: outH },
      { left: Math.floor(outW / 4), top: Math.floor(outH / 3), width: Math.ceil(outW / 2), height: Math.ceil(outH / 2) },
      { left: outW - 1, top: outH - 1, width: 1, height: 1 },
      { left: 0, top: outH - 3, width: outW, height: 3 },
    ];
    for (const win of windows) {
      const got = resizeBilinearAA(src, w, h, c, outW, outH, win);
      const want = crop(full, outW, c, win.top, win.left, win.width, win.height);
      assert.deepEqual(got, want, `${w}x${h}x${c} -> ${outW}x${outH}, window ${JSON.stringify(win)}`);
    }
  }
});

test('resizeBilinearAA: a window outside the result is an error', () => {
  const src = image(10, 10, 3, 9);
  assert.throws(() => resizeBilinearAA(src, 10, 10, 3, 20, 20, { left: 15, top: 0, width: 6, height: 4 }), /window 6x4 at \(15, 0\) is not inside 20x20/);
  assert.throws(() => resizeBilinearAA(src, 10, 10, 3, 20, 20, { left: 0, top: 0, width: 0, height: 4 }), /not inside/);
});
