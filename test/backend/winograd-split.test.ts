/**
 * How csrc/dispatch.c splits a Winograd convolution (csrc/conv_wino.c) over threads: a grid of tile ranges (in
 * lane groups; a range's last block of at most one vector of tiles runs at half width) x output-row ranges (in
 * weight panels), chosen by thread count. Every output is computed the same way whatever the cut (same weight
 * transform, same tile transform, the same sum over input channels), so the forward and the input gradient must be
 * bit-identical on 1, 2, 3, 8 and 16 threads, and close to the reference, with nothing written outside the output.
 * Shapes: DenseNet-121's 3x3 128->32 at batch 1 (56x56: 196 tiles, 13 lane groups; 28x28: 49, the last group one
 * tile; 14x14: 16 tiles, one group, rows split), 7x7 at batch 4 (16 tiles), cout 20 (panels of 12 and 8).
 * Each ISA the CPU runs. Not here: timing (bench/winograd.ts); the other Winograd corners (winograd.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, type ConvGeometry } from '../../src/backend/backend.js';
import type { NativeBackend } from '../../src/backend/native/index.js';
import { referenceBackend as ref } from '../../src/backend/reference/index.js';
import { assertClose } from '../helpers/check.js';
import { nativeOrSkip } from '../helpers/native.js';
import { convInputs } from './fixture.js';

const { nb, skip } = nativeOrSkip();

const CASES: [string, ConvGeometry][] = [
  ['121 3x3 128->32 56x56 batch 1', convGeometry(1, 128, 56, 56, 32, 3, 1, 1)],
  ['121 3x3 128->32 28x28 batch 1', convGeometry(1, 128, 28, 28, 32, 3, 1, 1)],
  ['121 3x3 128->32 14x14 batch 1', convGeometry(1, 128, 14, 14, 32, 3, 1, 1)],
  ['3x3 128->32 7x7 batch 4', convGeometry(4, 128, 7, 7, 32, 3, 1, 1)],
  ['3x3 64->20 14x14 batch 1 (row panels 12 + 8)', convGeometry(1, 64, 14, 14, 20, 3, 1, 1)],
];
const THREADS = [1, 2, 3, 8, 16];

/** forward (with pre and bias) and input gradient (overwritten), each in a buffer with guard cells either side */
function run(be: NativeBackend, g: ConvGeometry, d: ReturnType<typeof convInputs>, label: string): Float32Array[] {
  const out: Float32Array[] = [];
  for (const [n, fn] of [
    [d.dy.length, (v: Float32Array) => be.conv2d(g, d.x, d.w, d.bias, v, d.pre)],
    [d.x.length, (v: Float32Array) => be.backward!.conv2d(g, d.x, d.w, d.dy, v, null, null, null, true)],
  ] as const) {
    const all = new Float32Array(n + 8).fill(555);
    const v = all.subarray(4, 4 + n);
    v.fill(NaN);
    fn(v);
    for (let i = 0; i < all.length; i++) if ((i < 4 || i >= 4 + n) && all[i] !== 555) assert.fail(`${label}: wrote outside the output at ${i}`);
    out.push(v.slice());
  }
  return out;
}

test('Winograd split over 1, 2, 3, 8, 16 threads: bit-identical results, close to the reference', { skip }, () => {
  const be = nb as NativeBackend;
  const [isa0, t0, env0] = [be.isa, be.threads, process.env.DENSENET_WINOGRAD];
  process.env.DENSENET_WINOGRAD = '1';
  try {
    for (const [what, g] of CASES) {
      const d = convInputs(g, g.h * 31 + g.n + g.cout);
      const yRef = new Float32Array(d.dy.length);
      ref.conv2d(g, d.x, d.w, d.bias, yRef, d.pre);
      const dxRef = new Float32Array(d.x.length);
      ref.backward!.conv2d(g, d.x, d.w, d.dy, dxRef, null, null, null, true);
      for (const isa of be.isas) {
        be.setIsa(isa);
        let first: Float32Array[] | undefined;
        for (const t of THREADS) {
          be.setThreads(t);
          const label = `${what} ${isa} ${t} thread(s)`;
          const [y, dx] = run(be, g, d, label);
          if (!first) {
            first = [y, dx];
            assertClose(y, yRef, `${label} y`, 1e-4, 1e-4);
            assertClose(dx, dxRef, `${label} dx`, 1e-4, 1e-4);
            continue;
          }
          for (const [i, name] of ['y', 'dx'].entries()) {
            const a: Float32Array = first[i], b: Float32Array = i === 0 ? y : dx;
            for (let k = 0; k < a.length; k++)
              if (!Object.is(a[k], b[k])) assert.fail(`${label} ${name}[${k}] = ${b[k]}, on 1 thread ${a[k]}`);
          }
        }
      }
    }
  } finally {
    be.setIsa(isa0);
    be.setThreads(t0);
    if (env0 === undefined) delete process.env.DENSENET_WINOGRAD;
    else process.env.DENSENET_WINOGRAD = env0;
  }
});
