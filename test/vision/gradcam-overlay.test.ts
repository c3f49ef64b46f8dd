/**
 * The picture side of Grad-CAM: bilinear upsampling (against PyTorch's F.interpolate, align_corners=False) and
 * the jet colormap with its alpha blend.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jet, overlayHeat } from '../../src/vision/colormap.js';
import { bilinear } from '../../src/vision/gradcam.js';
import { assertClose } from '../helpers/check.js';

test('bilinear [2,3] -> [3,5] matches F.interpolate(mode=bilinear, align_corners=False)', () => {
  // /usr/bin/python3: F.interpolate(torch.tensor([[0,1,.5],[.25,0,1]]).view(1,1,2,3), size=(3,5), mode='bilinear')
  const want = [0, 0.4, 1, 0.7, 0.5, 0.125, 0.275, 0.5, 0.65, 0.75, 0.25, 0.15, 0, 0.6, 1];
  assertClose(bilinear(Float32Array.of(0, 1, 0.5, 0.25, 0, 1), 2, 3, 3, 5), want, 'bilinear', 1e-6);
  assert.deepEqual(Array.from(bilinear(Float32Array.of(0.5), 1, 1, 2, 3)), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
});

test('jet: dark blue at 0, green at 0.5, dark red at 1, clamped outside', () => {
  assert.deepEqual(jet(0), [0, 0, 128]);
  assert.deepEqual(jet(0.5), [128, 255, 128]);
  assert.deepEqual(jet(1), [128, 0, 0]);
  assert.deepEqual(jet(-3), jet(0));
  assert.deepEqual(jet(7), jet(1));
});

test('overlayHeat: alpha 0 is the image, alpha 1 the colormap, 0.5 their mean; bad sizes and alpha are errors', () => {
  const image = Uint8Array.of(10, 20, 30, 200, 100, 0);
  const heat = Float32Array.of(0, 1);
  assert.deepEqual(Array.from(overlayHeat(image, heat, 2, 1, 0)), Array.from(image));
  assert.deepEqual(Array.from(overlayHeat(image, heat, 2, 1, 1)), [...jet(0), ...jet(1)]);
  assert.deepEqual(Array.from(overlayHeat(image, heat, 2, 1, 0.5)), [5, 10, 79, 164, 50, 0]);
  assert.throws(() => overlayHeat(image, heat, 1, 2, 1.5), /alpha must be in \[0, 1\], got 1.5/);
  assert.throws(() => overlayHeat(image, heat, 3, 1, 0.5), /overlayHeat: image of 6 bytes and map of 2 values for 3x1 RGB/);
});
