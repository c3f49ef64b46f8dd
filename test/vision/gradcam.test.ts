/**
 * Grad-CAM finds what a model learned to look for. Synthetic seeded 1x32x32 images on textured noise (a grating
 * plus pixel noise): every image holds one or two bright bars (distractors, 1x7 or 7x1); class 1 images also hold
 * a bright filled 4x4 square at a random position (the planted pattern), as bright as the bars. A small
 * DenseNet (CIFAR stem, blocks [2,2], k = 8; last block at 16x16) is trained with lossAndGrad + SGD for a fixed
 * number of steps on fresh batches; then, on held-out images it classifies correctly, the map's peak cell
 * (one cell = 2x2 input pixels) must lie on or next to the square, and the square must be hotter than every bar.
 * Deterministic (fixed seeds); the margins are: accuracy first, one miss allowed of 12, "next to" = one cell.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBackend } from '../../src/backend/select.js';
import { DenseNet } from '../../src/models/densenet.js';
import { SGD } from '../../src/optim/sgd.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { gradCam } from '../../src/vision/gradcam.js';

const S = 32;
const SQUARE = 4;

interface Box { y: number; x: number; h: number; w: number }
interface Sample { label: number; square: Box | null; bars: Box[] }

/** A random position for an h x w box at least 2 pixels from every box in `avoid`. */
function place(rng: Rng, h: number, w: number, avoid: Box[]): Box {
  for (;;) {
    const b = { y: Math.floor(rng.uniform() * (S - h + 1)), x: Math.floor(rng.uniform() * (S - w + 1)), h, w };
    const apart = (a: Box): boolean => b.y >= a.y + a.h + 2 || a.y >= b.y + b.h + 2 || b.x >= a.x + a.w + 2 || a.x >= b.x + b.w + 2;
    if (avoid.every(apart)) return b;
  }
}

/** One image into `out` [S*S], normalised to about zero mean and unit spread. */
function drawSample(rng: Rng, label: number, out: Float32Array): Sample {
  const fx = 0.2 + 0.5 * rng.uniform();
  const fy = 0.2 + 0.5 * rng.uniform();
  const phase = 2 * Math.PI * rng.uniform();
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) out[y * S + x] = 0.25 + 0.1 * Math.sin(fx * x + fy * y + phase) + 0.25 * rng.uniform();
  }
  const fill = (b: Box): void => {
    for (let y = b.y; y < b.y + b.h; y++) for (let x = b.x; x < b.x + b.w; x++) out[y * S + x] = 0.85 + 0.15 * rng.uniform();
  };
  const square = label === 1 ? place(rng, SQUARE, SQUARE, []) : null;
  if (square !== null) fill(square);
  const bars: Box[] = [];
  for (let i = 0, n = 1 + Math.floor(2 * rng.uniform()); i < n; i++) {
    const vertical = rng.uniform() < 0.5;
    const b = place(rng, vertical ? 7 : 1, vertical ? 1 : 7, square === null ? bars : [square, ...bars]);
    bars.push(b);
    fill(b);
  }
  for (let i = 0; i < S * S; i++) out[i] = (out[i] - 0.4) / 0.25;
  return { label, square, bars };
}

function makeBatch(rng: Rng, n: number): { x: Tensor; labels: Int32Array; samples: Sample[] } {
  const x = Tensor.zeros([n, 1, S, S]);
  const labels = new Int32Array(n);
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    labels[i] = rng.uniform() < 0.5 ? 1 : 0;
    samples.push(drawSample(rng, labels[i], x.data.subarray(i * S * S, (i + 1) * S * S)));
  }
  return { x, labels, samples };
}

/** Pixels between the box and the rectangle [y0, y1) x [x0, x1) along each axis (0 when they overlap). */
function gap(b: Box, y0: number, y1: number, x0: number, x1: number): [number, number] {
  return [Math.max(0, b.y - y1, y0 - (b.y + b.h)), Math.max(0, b.x - x1, x0 - (b.x + b.w))];
}

test('gradCam: a DenseNet trained to find a planted square points at the square, not at the distractors', async () => {
  const backend = await getBackend(undefined, () => {}, { training: true });
  const model = new DenseNet({ blockConfig: [2, 2], growthRate: 8, initFeatures: 16, stem: 'cifar', inChannels: 1, numClasses: 2 }, 1);
  const sgd = new SGD(model.namedParameters(), { lr: 0.05, momentum: 0.9, nesterov: true });
  const rng = new Rng(42);
  model.train();
  for (let step = 0; step < 80; step++) {
    const b = makeBatch(rng, 32);
    model.lossAndGrad(b.x, b.labels, backend);
    sgd.step();
  }
  model.eval();

  const held = makeBatch(new Rng(7), 100);
  const logits = model.forward(held.x, backend).data;
  const predicted = (i: number): number => (logits[2 * i + 1] > logits[2 * i] ? 1 : 0);
  const correct = held.samples.filter((s, i) => predicted(i) === s.label).length;
  assert.ok(correct >= 90, `held-out accuracy ${correct}/100 (the test needs a model that found the pattern)`);

  const report: string[] = [];
  let onPattern = 0;
  let hotter = 0;
  let checked = 0;
  for (let i = 0; i < held.samples.length && checked < 12; i++) {
    const s = held.samples[i];
    if (s.label !== 1 || predicted(i) !== 1) continue;
    checked++;
    const x = new Tensor(held.x.data.slice(i * S * S, (i + 1) * S * S), [1, 1, S, S]);
    const r = gradCam(model, x, backend);
    assert.equal(r.classIndex, 1);
    assert.deepEqual([r.h, r.w, r.height, r.width], [16, 16, S, S]);
    let peak = 0;
    for (let p = 1; p < r.heat.length; p++) if (r.heat[p] > r.heat[peak]) peak = p;
    const cell = S / r.h;
    const [cy, cx] = [Math.floor(peak / r.w), peak % r.w];
    const [dy, dx] = gap(s.square!, cy * cell, (cy + 1) * cell, cx * cell, (cx + 1) * cell);
    if (dy <= cell && dx <= cell) onPattern++;
    const mean = (b: Box): number => {
      let t = 0;
      for (let y = b.y; y < b.y + b.h; y++) for (let xx = b.x; xx < b.x + b.w; xx++) t += r.upsampled[y * S + xx];
      return t / (b.h * b.w);
    };
    const bars = Math.max(...s.bars.map(mean));
    if (mean(s.square!) > 2 * bars) hotter++;
    report.push(`image ${i}: peak cell (${cy},${cx}) square at (${s.square!.y},${s.square!.x}) gap ${dy},${dx} px; heat square ${mean(s.square!).toFixed(2)} bars ${bars.toFixed(2)}`);
  }
  assert.equal(checked, 12);
  assert.ok(onPattern >= 11, `peak on or next to the square in ${onPattern}/12:\n${report.join('\n')}`);
  assert.ok(hotter >= 11, `square over twice as hot as the hottest bar in ${hotter}/12:\n${report.join('\n')}`);
});
