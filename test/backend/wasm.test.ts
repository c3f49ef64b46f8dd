/**
 * The wasm backend's own tests, beyond the shared op tests: GEMM against a float64 triple loop over odd shapes,
 * every transpose and beta (inputs as offset views), convolution backward over several im2col chunks against the
 * reference, memory that grows once for a large op and is then reused, and the errors for bad arguments.
 * Not here: timing (benchmarks only; the machine is shared and noisy).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convGeometry } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/index.js';
import { createWasmBackend, loadWasm, preferRelaxed, type WasmBackend } from '../../src/backend/wasm/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { assertClose } from '../helpers/check.js';
import { gemmRef } from '../helpers/gemm-ref.js';

/** The relaxed-SIMD build where this Node runs it (node --experimental-wasm-relaxed-simd on Node 20), else the plain one. */
const file = preferRelaxed(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../build/densenet.wasm'));
const wb: WasmBackend | null = existsSync(file) ? await createWasmBackend(readFileSync(file)) : null;
const skip = wb === null ? `wasm module not built (${file})` : false;
/** The backend under test; only called inside tests that are skipped when the module is missing. */
const be = (): WasmBackend => {
  if (wb === null) throw new Error('unreachable: test should be skipped');
  return wb;
};

const rng = new Rng(99);
function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

/** n random floats as a view at a float offset inside a larger buffer. */
function randView(n: number, offset: number): Float32Array {
  const v = new Float32Array(n + offset + 3).subarray(offset, offset + n);
  v.set(rand(n));
  return v;
}


const SIZES = [1, 3, 4, 5, 7, 8, 9, 13, 17, 31, 33, 64, 65, 127, 257];
for (const [i, m] of SIZES.entries()) {
  for (let t = 0; t < 4; t++) {
    const tA = (t & 1) === 1;
    const tB = (t & 2) === 2;
    const n = SIZES[(i + 4 * t + 3) % SIZES.length];
    const k = SIZES[(i + 5 * t + 7) % SIZES.length];
    const beta = ((i + t) % 2) as 0 | 1;
    test(`wasm gemm m=${m} n=${n} k=${k} transA=${tA} transB=${tB} beta=${beta} vs float64 loops`, { skip }, () => {
      const a = randView(m * k, 3);
      const b = randView(k * n, 1);
      const c = randView(m * n, 2);
      const ref = gemmRef(tA, tB, m, n, k, a, b, beta, c);
      const guard = c.buffer === a.buffer ? null : new Float32Array(c.buffer).slice();
      be().gemm(tA, tB, m, n, k, a, b, beta, c);
      for (let e = 0; e < ref.c.length; e++) {
        const d = Math.abs(c[e] - ref.c[e]);
        if (!(d <= 2e-6 * ref.mag[e] + 1e-6)) assert.fail(`element ${e}: ${c[e]} vs ${ref.c[e]} (|diff| ${d.toExponential(2)})`);
      }
      // nothing outside the view was written
      const all = new Float32Array(c.buffer);
      if (guard) for (let e = 0; e < all.length; e++) if (e < 2 || e >= 2 + m * n) assert.equal(all[e], guard[e], `wrote outside c at ${e}`);
    });
  }
}

test('wasm gemm with k=0 and with n=0 (beta 0 zeroes, beta 1 keeps)', { skip }, () => {
  const c = Float32Array.of(1, 2, 3, 4, 5, 6);
  be().gemm(false, false, 2, 3, 0, new Float32Array(0), new Float32Array(0), 1, c);
  assert.deepEqual([...c], [1, 2, 3, 4, 5, 6]);
  be().gemm(true, true, 2, 3, 0, new Float32Array(0), new Float32Array(0), 0, c);
  assert.deepEqual([...c], [0, 0, 0, 0, 0, 0]);
  be().gemm(false, true, 5, 0, 3, rand(15), new Float32Array(0), 0, new Float32Array(0));
});

test('wasm conv2d backward over several im2col chunks x=[64,2,64,64] w=[8,64,3,3] matches the reference', { skip }, () => {
  const g = convGeometry(2, 64, 64, 64, 8, 3, 1, 1); // kdim 576 -> 3640-column chunks of 8192 columns
  const x = rand(64 * 2 * 64 * 64);
  const w = rand(8 * 64 * 9);
  const dy = rand(8 * 2 * 64 * 64);
  const dx0 = rand(x.length);
  const got = { dx: dx0.slice(), dw: new Float32Array(w.length), db: new Float32Array(8) };
  const want = { dx: dx0.slice(), dw: new Float32Array(w.length), db: new Float32Array(8) };
  be().backward?.conv2d(g, x, w, dy, got.dx, got.dw, got.db);
  referenceBackend.backward?.conv2d(g, x, w, dy, want.dx, want.dw, want.db);
  assertClose(got.dx, want.dx, 'dx (accumulated)', 1e-4);
  assertClose(got.dw, want.dw, 'dw', 2e-3); // sums of 8192 products of magnitude <= 1
  assertClose(got.db, want.db, 'db', 1e-4);
});

test('wasm memory grows once for a large op, then is reused', { skip }, () => {
  const size = 24 << 20; // 96 MiB in and out of the arena: past the initial few MiB
  const before = be().memoryBytes;
  const x = new Float32Array(size);
  for (let i = 0; i < size; i += 4099) x[i] = i % 2 ? -i : i;
  const y = new Float32Array(size);
  be().relu(size, x, y);
  const grown = be().memoryBytes;
  assert.ok(grown > before && grown >= 4 * size, `memory ${before} -> ${grown} bytes for ${4 * size} bytes of data`);
  for (let i = 0; i < size; i += 4099) assert.equal(y[i], Math.max(0, x[i]));
  be().relu(size, x, y);
  be().scaleShift(1, size, x, Float32Array.of(2), Float32Array.of(1), false, y);
  assert.equal(be().memoryBytes, grown, 'a second call of the same size must not grow memory');
  assert.equal(y[4099], -2 * 4099 + 1);
  // small ops after a large one still work (views refreshed after growth)
  const c = new Float32Array(4);
  be().gemm(false, false, 2, 2, 1, Float32Array.of(1, 2), Float32Array.of(3, 4), 0, c);
  assert.deepEqual([...c], [3, 4, 6, 8]);
});

const z = (n: number): Float32Array => new Float32Array(n);
const g = convGeometry(2, 3, 5, 5, 4, 3, 1, 1); // x 150, w 108, y 200
const ERRORS: readonly [string, RegExp, () => void][] = [
  ['gemm a short', /^gemm: a has 23 elements but geometry \[m=4,k=6\] needs 24$/, () => be().gemm(false, false, 4, 5, 6, z(23), z(30), 0, z(20))],
  ['gemm transposed a', /^gemm: a has 25 elements but geometry \[k=6,m=4\] needs 24$/, () => be().gemm(true, false, 4, 5, 6, z(25), z(30), 0, z(20))],
  ['gemm bad beta', /^gemm: beta must be 0 or 1, got 2$/, () => be().gemm(false, false, 1, 1, 1, z(1), z(1), 2 as 0, z(1))],
  ['gemm negative m', /^gemm: m=-1 must be a non-negative integer/, () => be().gemm(false, false, -1, 1, 1, z(1), z(1), 0, z(1))],
  ['gemm c aliases a', /^gemm: c must not overlap a or b$/, () => {
    const buf = z(8);
    be().gemm(false, false, 2, 2, 2, buf.subarray(0, 4), z(4), 0, buf.subarray(2, 6));
  }],
  ['conv2d x short', /^conv2d: x has 100 elements but geometry \[cin=3,n=2,h=5,w=5\] needs 150$/, () => be().conv2d(g, z(100), z(108), null, z(200))],
  ['conv2d inconsistent ho', /^conv2d: output \[ho=4,wo=5\] does not match/, () => be().conv2d({ ...g, ho: 4 }, z(150), z(108), null, z(160))],
  ['linear b wrong', /^linear: b has 2 elements but geometry \[out=3\] needs 3$/, () => be().linear(2, 5, 3, z(10), z(15), z(2), z(6))],
  ['dropout p=1', /^dropout: p=1 must be in \[0, 1\)$/, () => be().dropout(4, z(4), new Uint8Array(4), 1, z(4))],
  ['softmax y short', /^softmax: y has 9 elements/, () => be().softmax(2, 5, z(10), z(9))],
  ['backward conv2d dw short', /^conv2d backward: dw has 107 elements/, () => be().backward?.conv2d(g, z(150), z(108), z(200), null, z(107), null)],
  ['backward batchNorm dgamma short', /^batchNorm backward: dgamma has 2 elements/,
    () => be().backward?.batchNorm(3, 10, z(30), z(3), z(3), z(3), z(3), true, z(30), z(30), z(2), z(3))],
  ['backward linear dx wrong', /^linear backward: dx has 9 elements/, () => be().backward?.linear(2, 5, 3, z(10), z(15), z(6), z(9), z(15), null)],
];
for (const [what, message, call] of ERRORS) {
  test(`wasm rejects ${what} with a clear message`, { skip }, () => {
    assert.throws(call, (e: unknown) => e instanceof Error && message.test(e.message));
  });
}

test('wasm has backward ops and reports one thread', { skip }, () => {
  assert.equal(be().name, 'wasm');
  assert.equal(be().threads, 1);
  assert.ok(be().backward !== undefined);
});

test('loadWasm names the missing module', async () => {
  const saved = process.env.DENSENET_WASM;
  process.env.DENSENET_WASM = '/nonexistent/densenet.wasm';
  try {
    await assert.rejects(loadWasm(), /wasm module not built \(\$DENSENET_WASM=\/nonexistent\/densenet.wasm does not exist; run `node scripts\/build-wasm.mjs`/);
  } finally {
    if (saved === undefined) delete process.env.DENSENET_WASM;
    else process.env.DENSENET_WASM = saved;
  }
});
