/**
 * The threaded wasm module (build/densenet-mt.wasm): every op at 2 threads against 1 thread of the same module
 * (bit-identical: dispatch.c splits every op by outputs) on sizes large enough to split, and against the reference
 * backend; the fallbacks (no threaded module, no SharedArrayBuffer, threads: 1); the memory cap naming the op and
 * bytes; and that workers never keep the process alive (a child process exits with and without terminate()).
 * Not here: timing (bench/wasm-threads.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convGeometry, poolGeometry, type Backend, type ConvGeometry, type PoolGeometry } from '../../src/backend/backend.js';
import { createWasmBackend, nodeOptions, preferRelaxed, type WasmBackend } from '../../src/backend/wasm/index.js';
import { DenseNet } from '../../src/models/densenet.js';
import { variantConfig } from '../../src/models/variants.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { same } from './cases.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The relaxed-SIMD pair where this Node runs it (node --experimental-wasm-relaxed-simd on Node 20), else the plain one. */
const file = preferRelaxed(path.resolve(here, '../../build/densenet.wasm'));
const mtFile = file.replace(/(-relaxed)?\.wasm$/, '-mt$1.wasm');
const built = existsSync(file) && existsSync(mtFile);
const wb: WasmBackend | null = built ? await createWasmBackend(readFileSync(file), await nodeOptions(file, 2)) : null;
const skip = built ? false : `threaded wasm module not built (${mtFile})`;
const be = (): WasmBackend => {
  if (wb === null) throw new Error('unreachable: test should be skipped');
  return wb;
};
test.after(() => wb?.terminate());

const rng = new Rng(7);
function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}
const pos = (n: number): Float32Array => rand(n).map((v) => Math.abs(v) + 0.1);

/** Runs fn at 1 and at 2 threads on copies of outs; the two must be bit-identical and match the reference. */
function oneVsTwo(label: string, outs: Float32Array[], fn: (b: Backend, o: Float32Array[]) => void, atol = 1e-4): void {
  const at = (t: number): Float32Array[] => {
    be().setThreads(t);
    const o = outs.map((x) => x.slice());
    fn(be(), o);
    return o;
  };
  try {
    const [one, two] = [at(1), at(2)];
    one.forEach((o, i) => assert.ok(o.every((v, j) => Object.is(v, two[i][j])), `${label}: output ${i} differs between 1 and 2 threads`));
    be().setThreads(2);
    same(be(), outs, fn, `${label} 2 threads vs reference`, atol, atol);
  } finally {
    be().setThreads(2);
  }
}

test(`threaded wasm loads with 2 threads (${path.basename(mtFile)})`, { skip }, () => {
  assert.equal(be().threads, 2);
  assert.equal(be().maxThreads, 2);
  assert.equal(be().singleThreadReason, null);
});

test('threaded wasm gemm: every transpose, column and row splits, 1 vs 2 threads', { skip }, () => {
  for (const [m, n, k] of [[96, 700, 130], [300, 20, 64], [33, 1000, 7]]) {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = rand(m * k), b = rand(k * n);
      oneVsTwo(`gemm ${m}x${n}x${k} tA=${tA} tB=${tB}`, [rand(m * n)], (x, [c]) => x.gemm(tA, tB, m, n, k, a, b, 1, c), 2e-4);
    }
  }
});

const CONVS: ConvGeometry[] = [
  convGeometry(2, 64, 28, 28, 32, 1, 1, 0), convGeometry(2, 32, 28, 28, 32, 3, 1, 1), convGeometry(1, 128, 7, 7, 32, 3, 1, 1),
  convGeometry(2, 3, 64, 64, 64, 7, 2, 3), convGeometry(1, 256, 14, 14, 128, 1, 1, 0),
];
for (const g of CONVS) {
  const label = `x=[${g.n},${g.cin},${g.h},${g.w}] k=${g.kh} stride=${g.stride}`;
  const nx = g.n * g.cin * g.h * g.w, nw = g.cout * g.cin * g.kh * g.kw, ny = g.cout * g.n * g.ho * g.wo;
  test(`threaded wasm conv2d ${label}: forward and backward, 1 vs 2 threads`, { skip }, () => {
    const x = rand(nx), w = rand(nw), bias = rand(g.cout), dy = rand(ny);
    const pre = { scale: pos(g.cin), shift: rand(g.cin), relu: true };
    oneVsTwo(`conv2d ${label}`, [new Float32Array(ny)], (b, [y]) => b.conv2d(g, x, w, bias, y, pre), 3e-4);
    oneVsTwo(`conv2d backward ${label}`, [rand(nx), new Float32Array(nw), new Float32Array(g.cout)],
      (b, [dx, dw, db]) => b.backward?.conv2d(g, x, w, dy, dx, dw, db), 1e-3);
  });
}

test('threaded wasm per-channel, elementwise, pooling and linear ops, forward and backward, 1 vs 2 threads', { skip }, () => {
  const c = 64, s = 2 * 56 * 56, x = rand(c * s), dy = rand(c * s), scale = rand(c), shift = rand(c);
  oneVsTwo('scaleShift', [new Float32Array(c * s)], (b, [y]) => b.scaleShift(c, s, x, scale, shift, true, y));
  oneVsTwo('channelStats', [new Float32Array(c), new Float32Array(c)], (b, [m, v]) => b.channelStats(c, s, x, m, v));
  oneVsTwo('relu', [new Float32Array(c * s)], (b, [y]) => b.relu(c * s, x, y));
  const keep = new Uint8Array(c * s).map((_, i) => (i * 7919) % 3 === 0 ? 0 : 1);
  oneVsTwo('dropout', [new Float32Array(c * s)], (b, [y]) => b.dropout(c * s, x, keep, 0.3, y));
  const pg: PoolGeometry = poolGeometry(c, 2, 56, 56, 3, 2, 1), ag: PoolGeometry = poolGeometry(c, 2, 56, 56, 2, 2, 0);
  const py = c * 2 * pg.ho * pg.wo, ay = c * 2 * ag.ho * ag.wo, pdy = rand(py), ady = rand(ay), gdy = rand(c * 2);
  oneVsTwo('maxPool2d', [new Float32Array(py)], (b, [y]) => b.maxPool2d(pg, x, y));
  oneVsTwo('avgPool2d', [new Float32Array(ay)], (b, [y]) => b.avgPool2d(ag, x, y));
  oneVsTwo('globalAvgPool', [new Float32Array(c * 2)], (b, [y]) => b.globalAvgPool(c, 2, 56 * 56, x, y));
  const n = 8, inF = 1024, outF = 1000, lx = rand(n * inF), lw = rand(outF * inF), ldy = rand(n * outF), lb = rand(outF);
  oneVsTwo('linear', [new Float32Array(n * outF)], (b, [y]) => b.linear(n, inF, outF, lx, lw, lb, y), 3e-4);
  const logits = rand(300 * 1000);
  oneVsTwo('softmax', [new Float32Array(300 * 1000)], (b, [y]) => b.softmax(300, 1000, logits, y));
  const mean = rand(c), invStd = pos(c), gamma = rand(c), beta = rand(c);
  oneVsTwo('batchNorm backward', [rand(c * s), new Float32Array(c), new Float32Array(c)],
    (b, [dx, dg, dbt]) => b.backward?.batchNorm(c, s, x, mean, invStd, gamma, beta, true, dy, dx, dg, dbt), 1e-3);
  oneVsTwo('relu backward', [new Float32Array(c * s)], (b, [dx]) => b.backward?.relu(c * s, x, dy, dx));
  oneVsTwo('maxPool2d backward', [new Float32Array(c * s)], (b, [dx]) => b.backward?.maxPool2d(pg, x, pdy, dx));
  oneVsTwo('avgPool2d backward', [new Float32Array(c * s)], (b, [dx]) => b.backward?.avgPool2d(ag, ady, dx));
  oneVsTwo('globalAvgPool backward', [new Float32Array(c * s)], (b, [dx]) => b.backward?.globalAvgPool(c, 2, 56 * 56, gdy, dx));
  oneVsTwo('linear backward', [new Float32Array(n * inF), new Float32Array(outF * inF), new Float32Array(outF)],
    (b, [dx, dw, db]) => b.backward?.linear(n, inF, outF, lx, lw, ldy, dx, dw, db), 1e-3);
});

test('DenseNet-121 at batch 8, 224x224, runs in the threaded wasm heap: 2 threads give the 1-thread logits bit for bit', { skip }, () => {
  const model = new DenseNet(variantConfig('densenet121'), 3, { init: true });
  model.eval();
  const x = new Tensor(rand(8 * 3 * 224 * 224), [8, 3, 224, 224]);
  const run = (t: number): Float32Array => {
    be().setThreads(t);
    return model.forward(x, be()).data.slice();
  };
  try {
    const [two, one] = [run(2), run(1)];
    assert.equal(two.length, 8 * 1000);
    assert.ok(two.every(Number.isFinite), 'finite logits');
    assert.ok(one.every((v, i) => Object.is(v, two[i])), 'logits differ between 1 and 2 threads');
    assert.ok(be().memoryBytes < 256 * 2 ** 20, `linear memory ${be().memoryBytes} bytes`);
  } finally {
    be().setThreads(2);
  }
});

test('threaded wasm kept blocks (alloc): conv2d, pooling, globalAvgPool and linear read and write them in place, as plain arrays give', { skip }, () => {
  const b = be();
  const keep = (a: Float32Array): Float32Array => {
    const k = b.alloc?.(a.length);
    assert.ok(k && k.length === a.length && k.every((v) => v === 0), 'alloc gives a zeroed block of the size asked');
    k.set(a);
    return k;
  };
  const g = convGeometry(1, 40, 14, 14, 24, 3, 1, 1), cols = g.ho * g.wo;
  const x = rand(g.cin * g.h * g.w), w = rand(g.cout * g.cin * 9), pre = { scale: rand(g.cin), shift: rand(g.cin), relu: true };
  const want = new Float32Array(g.cout * cols);
  b.conv2d(g, x, w, null, want, pre);
  const kx = keep(x), big = b.alloc?.(g.cout * cols + 5) ?? new Float32Array(0);
  const ky = big.subarray(3, 3 + g.cout * cols); // a view at an offset into a kept block
  b.conv2d(g, kx, w, null, ky, pre);
  assert.deepEqual(ky, want, 'conv2d on kept blocks');
  assert.deepEqual(kx, x, 'the kept input is not written');
  const plain = new Float32Array(want.length);
  b.conv2d(g, kx, w, null, plain, pre); // kept input, plain output
  assert.deepEqual(plain, want, 'conv2d kept x, plain y');
  const pg = poolGeometry(g.cout, 1, g.ho, g.wo, 2, 2, 0), pw = pg.c * pg.ho * pg.wo;
  const pWant = new Float32Array(pw), pPre = { scale: pre.scale.subarray(0, pg.c), shift: pre.shift.subarray(0, pg.c), relu: true };
  b.avgPool2d(pg, want, pWant, pPre);
  const kp = b.alloc?.(pw) ?? new Float32Array(0);
  b.avgPool2d(pg, ky, kp, pPre);
  assert.deepEqual(kp, pWant, 'avgPool2d with pre on kept blocks');
  const mWant = new Float32Array(pw), km = b.alloc?.(pw) ?? new Float32Array(0);
  b.maxPool2d(pg, want, mWant);
  b.maxPool2d(pg, ky, km);
  assert.deepEqual(km, mWant, 'maxPool2d on kept blocks');
  // an output overlapping its kept input: the kernel writes the arena, then y (the input was read whole first)
  const both = keep(new Float32Array([...want, ...new Float32Array(pw)]));
  b.maxPool2d(pg, both.subarray(0, want.length), both.subarray(want.length - 1, want.length - 1 + pw));
  assert.deepEqual(both.subarray(want.length - 1, want.length - 1 + pw), mWant, 'maxPool2d output overlapping its kept input');
  const gWant = new Float32Array(g.cout), kg = b.alloc?.(g.cout) ?? new Float32Array(0);
  b.globalAvgPool(g.cout, 1, cols, want, gWant);
  b.globalAvgPool(g.cout, 1, cols, ky, kg);
  assert.deepEqual(kg, gWant, 'globalAvgPool on kept blocks');
  const lw = rand(10 * g.cout), lb = rand(10), lWant = new Float32Array(10), kl = b.alloc?.(10) ?? new Float32Array(0);
  b.linear(1, g.cout, 10, gWant, lw, lb, lWant);
  b.linear(1, g.cout, 10, kg, lw, lb, kl);
  assert.deepEqual(kl, lWant, 'linear on kept blocks');
});

test('an eval-mode DenseNet on the threaded wasm module keeps its workspace in linear memory: same logits as the single-threaded module', { skip }, async () => {
  const st = await createWasmBackend(readFileSync(file), { threads: 1 });
  assert.equal(st.alloc, undefined, 'the single-threaded module has no kept blocks (its memory detaches on growth)');
  const cfg = { ...variantConfig('densenet121'), blockConfig: [2, 3, 2, 2] };
  const [m1, m2] = [new DenseNet(cfg, 5, { init: true }).eval(), new DenseNet(cfg, 5, { init: true }).eval()];
  const x = new Tensor(rand(2 * 3 * 64 * 64), [2, 3, 64, 64]);
  const want = m1.forward(x, st).data.slice();
  const got = m2.forward(x, be()).data.slice();
  const again = m2.forward(x, be()).data.slice(); // the kept slots are reused
  const onSt = m2.forward(x, st).data.slice(); // and are plain arrays to another backend
  assert.ok(want.every((v, i) => Object.is(v, got[i])), 'logits differ between the threaded module and the single-threaded one');
  assert.deepEqual(again, got);
  assert.deepEqual(onSt, want);
});

test('threaded wasm setThreads rejects counts outside 1..maxThreads', { skip }, () => {
  assert.throws(() => be().setThreads(3), /^Error: wasm setThreads: 3 is not in 1\.\.2$/);
  assert.throws(() => be().setThreads(0), /^Error: wasm setThreads: 0 is not in 1\.\.2$/);
});

test('wasm without the threaded module runs on 1 thread and says why', { skip }, async () => {
  const st = await createWasmBackend(readFileSync(file), { threads: 2 });
  assert.equal(st.threads, 1);
  assert.match(st.singleThreadReason ?? '', /no threaded module/);
  const c = new Float32Array(4);
  st.gemm(false, false, 2, 2, 1, Float32Array.of(1, 2), Float32Array.of(3, 4), 0, c);
  assert.deepEqual([...c], [3, 4, 6, 8]);
});

test('wasm without SharedArrayBuffer falls back to the single-threaded module', { skip }, async () => {
  const g = globalThis as { SharedArrayBuffer?: unknown };
  const saved = g.SharedArrayBuffer;
  g.SharedArrayBuffer = undefined;
  let st: WasmBackend;
  try {
    st = await createWasmBackend(readFileSync(file), { threads: 2, threaded: readFileSync(mtFile) });
  } finally {
    g.SharedArrayBuffer = saved;
  }
  assert.equal(st.threads, 1);
  assert.match(st.singleThreadReason ?? '', /SharedArrayBuffer is not available/);
  const y = new Float32Array(3);
  st.relu(3, Float32Array.of(-1, 2, -3), y);
  assert.deepEqual([...y], [0, 2, 0]);
});

test('wasm with threads: 1 uses the single-threaded module and no workers', { skip }, async () => {
  const st = await createWasmBackend(readFileSync(file), await nodeOptions(file, 1));
  assert.equal(st.threads, 1);
  assert.equal(st.maxThreads, 1);
  assert.equal(st.singleThreadReason, null);
});

test('wasm with threads: 1 and the threaded module given runs that module without workers, for its kept blocks', { skip }, async () => {
  const one = await createWasmBackend(readFileSync(file), { ...(await nodeOptions(file, 2)), threads: 1 });
  try {
    assert.equal(one.threads, 1);
    assert.equal(one.maxThreads, 1);
    assert.equal(one.singleThreadReason, null);
    assert.equal(one.alloc?.(4)?.length, 4, 'kept blocks of the shared memory');
    assert.throws(() => one.setThreads(2), /^Error: wasm setThreads: 2 is not in 1\.\.1$/);
  } finally {
    one.terminate();
  }
});

test('threaded wasm refuses growth past its maximum, naming the op and the bytes', { skip }, async () => {
  const small = await createWasmBackend(readFileSync(file), { ...(await nodeOptions(file, 2)), maxMemoryBytes: 16 * 2 ** 20 });
  try {
    const n = 2 ** 20; // 3 arrays of 4 MiB, plus the stacks and scratch: over 16 MiB
    assert.throws(() => small.gemm(false, false, 1024, 1024, 1024, new Float32Array(n), new Float32Array(n), 0, new Float32Array(n)),
      /^Error: wasm gemm: needs \d+ bytes \(0\.\d\d GiB\) of memory, over the configured maximum of 16777216 bytes$/);
  } finally {
    small.terminate();
  }
});

/** A child process that loads a 2-thread backend, runs a split op, optionally terminates, and must exit by itself. */
function childExits(terminate: boolean): void {
  const script = `
    import { readFileSync } from 'node:fs';
    import { createWasmBackend, nodeOptions } from ${JSON.stringify(path.resolve(here, '../../src/backend/wasm/index.ts'))};
    const be = await createWasmBackend(readFileSync(${JSON.stringify(file)}), await nodeOptions(${JSON.stringify(file)}, 2));
    const c = new Float32Array(256 * 512);
    be.gemm(false, false, 256, 512, 64, new Float32Array(256 * 64).fill(1), new Float32Array(64 * 512).fill(1), 0, c);
    if (c[0] !== 64 || be.threads !== 2) process.exit(3);
    ${terminate ? 'be.terminate();' : ''}
    console.log('ok');`;
  const flags = process.execArgv.filter((a) => a.startsWith('--experimental-wasm')); // the module under test may need them
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.signal, null, `child did not exit by itself (killed by ${r.signal}); stderr: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ok');
}

test('a process with a 2-thread wasm backend exits after its work without terminate() (workers are unref\'d)', { skip }, () => childExits(false));
test('a process exits after terminate() of a 2-thread wasm backend', { skip }, () => childExits(true));
