/**
 * web/src/input.ts, the demo's input conventions, on hand-made pixels (no browser): a drawing (black ink on a
 * white pad) becomes white on black, cropped square around the ink with a 1/28 margin each side and centred; a
 * blank pad gives nothing; a picture is inverted only when its border is light.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { borderMean, fromDrawing, fromPicture } from '../../web/src/input.js';

/** A w x h RGBA image filled with `bg`, with the rectangle [x0, x1) x [y0, y1) set to `fg` (gray levels). */
function rgba(w: number, h: number, bg: number, fg: number, [x0, y0, x1, y1]: number[]): ImageData {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = x >= x0 && x < x1 && y >= y0 && y < y1 ? fg : bg;
      data.set([v, v, v, 255], 4 * (y * w + x));
    }
  }
  return { data, width: w, height: h, colorSpace: 'srgb' } as ImageData;
}

test('fromDrawing: a blank pad gives null', () => {
  assert.equal(fromDrawing(rgba(50, 40, 255, 255, [0, 0, 0, 0])), null);
});

test('fromDrawing: black ink on white -> white on black, square around the ink, centred, 1/28 margin', () => {
  // a 28 x 56 stroke block at (10, 20) on a 100 x 100 pad
  const r = fromDrawing(rgba(100, 100, 255, 0, [10, 20, 38, 76]))!;
  assert.equal(r.channels, 1);
  assert.equal(r.width, Math.ceil(56 * (1 + 2 / 28)));
  assert.equal(r.height, r.width);
  const side = r.width;
  const inkRows: number[] = [];
  const inkCols = new Set<number>();
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = r.data[y * side + x];
      assert.ok(v === 0 || v === 255, `pixel (${x}, ${y}) is ${v}`);
      if (v === 255) { inkCols.add(x); if (!inkRows.includes(y)) inkRows.push(y); }
    }
  }
  assert.equal(inkRows.length, 56, 'the whole stroke height is kept');
  assert.equal(inkCols.size, 28);
  // centred: equal background above/below and left/right (within a pixel)
  const top = inkRows[0];
  const bottom = side - 1 - inkRows[inkRows.length - 1];
  const left = Math.min(...inkCols);
  const right = side - 1 - Math.max(...inkCols);
  assert.ok(Math.abs(top - bottom) <= 1 && Math.abs(left - right) <= 1, `margins ${top}/${bottom}/${left}/${right}`);
});

test('fromPicture: a light border is inverted, a dark one (Fashion-MNIST-like) kept', () => {
  const light = fromPicture(rgba(20, 10, 240, 30, [5, 2, 15, 8]));
  assert.equal(light.inverted, true);
  assert.equal(light.raw.data[0], 15);
  assert.equal(light.raw.data[5 * 20 + 10], 225);
  const dark = fromPicture(rgba(20, 10, 0, 200, [5, 2, 15, 8]));
  assert.equal(dark.inverted, false);
  assert.equal(dark.raw.data[0], 0);
  assert.equal(dark.raw.data[5 * 20 + 10], 200);
  assert.equal(borderMean(Uint8Array.from([10, 10, 10, 10, 99, 10, 10, 10, 10]), 3, 3), 10);
});
