/**
 * The native backend on more threads than this machine has cores (3, 8, 16): dispatch.c cuts GEMMs and
 * convolutions into row x column grids whose shape depends on the thread count (plan_split), so every cut must
 * cover C exactly once. DenseNet-121 inference shapes (1x1 with its BN-ReLU fused, at 7x7, 14x14 and 28x28, batch 1;
 * the direct 3x3 128->32 at 7x7; the 7x7/2 stem on a small image; a transposed GEMM) against the reference backend,
 * guard cells around each output.
 * Not here: timing (bench/infer-shapes.ts), 1 and 2 threads on every ISA (native.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, type ConvGeometry, type ConvPre } from '../../src/backend/backend.js';
import type { NativeBackend } from '../../src/backend/native/index.js';
import { referenceBackend as refBackend } from '../../src/backend/reference/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { assertClose } from '../helpers/check.js';
import { nativeOrSkip } from '../helpers/native.js';

const { nb, skip } = nativeOrSkip();

const rng = new Rng(99);
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);

/** `n` floats inside a buffer of guard values; returns the view and a check that nothing outside it changed. */
function guarded(n: number): { v: Float32Array; intact: (label: string) => void } {
  const all = new Float32Array(n + 9).fill(555);
  const v = all.subarray(4, 4 + n);
  return {
    v,
    intact: (label) => {
      for (let i = 0; i < all.length; i++) if ((i < 4 || i >= 4 + n) && all[i] !== 555) assert.fail(`${label}: wrote outside the output at ${i}`);
    },
  };
}

const CONVS: [string, ConvGeometry, boolean][] = [
  ['1x1 512->128 7x7 (BN-ReLU fused)', convGeometry(1, 512, 7, 7, 128, 1, 1, 0), true],
  ['1x1 1024->512 7x7 (transition 3)', convGeometry(1, 1024, 7, 7, 512, 1, 1, 0), false],
  ['1x1 640->128 14x14 (BN-ReLU fused)', convGeometry(1, 640, 14, 14, 128, 1, 1, 0), true],
  ['1x1 320->128 28x28 (BN-ReLU fused)', convGeometry(1, 320, 28, 28, 128, 1, 1, 0), true],
  ['1x1 96->40 7x7 batch 3', convGeometry(3, 96, 7, 7, 40, 1, 1, 0), true],
  ['7x7/2 stem 3->64 at 64x64', convGeometry(1, 3, 64, 64, 64, 7, 2, 3), false],
  ['3x3 128->32 7x7 (BN-ReLU fused; conv_s1.c, its 2 column tiles split)', convGeometry(1, 128, 7, 7, 32, 3, 1, 1), true],
];

for (const threads of [3, 8, 16]) {
  test(`native conv2d on ${threads} threads: ${CONVS.length} DenseNet-121 shapes against the reference`, { skip }, () => {
    const be = nb as NativeBackend;
    const t0 = be.threads;
    try {
      be.setThreads(threads);
      for (const [what, g, withPre] of CONVS) {
        const x = rand(g.cin * g.n * g.h * g.w);
        const w = rand(g.cout * g.cin * g.kh * g.kw);
        const pre: ConvPre | null = withPre ? { scale: rand(g.cin), shift: rand(g.cin), relu: true } : null;
        const y = guarded(g.cout * g.n * g.ho * g.wo);
        be.conv2d(g, x, w, null, y.v, pre);
        const want = new Float32Array(y.v.length);
        refBackend.conv2d(g, x, w, null, want, pre);
        assertClose(y.v, want, `conv2d ${what} t=${threads}`, 1e-4, 1e-4);
        y.intact(`conv2d ${what} t=${threads}`);
      }
    } finally {
      be.setThreads(t0);
    }
  });

  test(`native gemm on ${threads} threads: row x column splits of [m][n] cover C once (beta 0 and 1, transposed A)`, { skip }, () => {
    const be = nb as NativeBackend;
    const t0 = be.threads;
    try {
      be.setThreads(threads);
      for (const [m, n, k, tA, beta] of [[128, 49, 512, false, 0], [200, 196, 300, true, 1], [40, 3136, 64, false, 1], [513, 50, 100, false, 0]] as const) {
        const a = rand(m * k), b = rand(k * n), c0 = rand(m * n);
        const c = guarded(m * n);
        c.v.set(c0);
        be.gemm(tA, false, m, n, k, a, b, beta, c.v);
        const want = Float32Array.from(c0);
        refBackend.gemm(tA, false, m, n, k, a, b, beta, want);
        const label = `gemm m=${m} n=${n} k=${k} tA=${tA} beta=${beta} t=${threads}`;
        assertClose(c.v, want, label, 1e-4, 1e-4);
        c.intact(label);
      }
    } finally {
      be.setThreads(t0);
    }
  });
}
