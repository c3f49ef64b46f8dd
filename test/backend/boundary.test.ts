/**
 * The native boundary: every op of every backend, forward and backward, is called with one bad argument at a
 * time (each array one element short, or one long where the length must be exact; each size or geometry field
 * negative, fractional, NaN, infinite or 2^40; mismatched channels of bias and the fused input transform) and must
 * throw an Error naming the op. For the native backend a spy on the addon's exports also proves the call was
 * stopped in TypeScript: the C function is never entered with arguments TypeScript did not check.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import type { Backend, BackwardOps, ConvGeometry, PoolGeometry } from '../../src/backend/backend.js';
import { addonCandidates } from '../../src/backend/native/platform.js';

// Install the spy before anything loads the addon: the loader requires this same path, so it gets the proxy.
// (the first candidate that exists is the one the loader takes)
const addonPath = addonCandidates().map((c) => c.file).find((f) => existsSync(f));
const addonCalls: string[] = [];
if (addonPath !== undefined) {
  const req = createRequire(import.meta.url);
  const real = req(addonPath) as Record<string, unknown>;
  const cached = req.cache[addonPath];
  if (cached) {
    cached.exports = new Proxy(real, {
      get(target, key: string): unknown {
        const v = target[key];
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          addonCalls.push(key);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }
}
const { availableBackends } = await import('../../src/backend/select.js');
const { convGeometry, poolGeometry } = await import('../../src/backend/backend.js');
const backends = await availableBackends();

const z = (n: number): Float32Array => new Float32Array(n);
const BAD_DIMS = [-1, 1.5, NaN, Infinity, 2 ** 40];

/** One op call: its arguments, which of them are arrays (exact length or at least), sizes, a geometry. */
interface Case {
  op: string;
  args: () => unknown[];
  call: (b: Backend, args: unknown[]) => unknown;
  /** argument index -> 'exact' | 'atLeast' */
  arrays: Record<number, 'exact' | 'atLeast'>;
  /** argument indices of plain size numbers */
  sizes?: number[];
  /** argument index of a geometry object */
  geom?: number;
  /** argument index of a ConvPre */
  pre?: number;
}

const g: ConvGeometry = convGeometry(2, 3, 5, 5, 4, 3, 1, 1); // x 150, w 108, y 200
const pg: PoolGeometry = poolGeometry(3, 2, 5, 5, 3, 2, 1); // x 150, y 54
const pre = (c: number): { scale: Float32Array; shift: Float32Array; relu: boolean } => ({ scale: z(c), shift: z(c), relu: true });
const bw = (b: Backend): BackwardOps => b.backward as BackwardOps;

const FORWARD: Case[] = [
  { op: 'gemm', args: () => [false, true, 4, 5, 6, z(24), z(30), 0, z(20)], call: (b, a) => b.gemm(...(a as Parameters<Backend['gemm']>)),
    arrays: { 5: 'exact', 6: 'exact', 8: 'exact' }, sizes: [2, 3, 4] },
  { op: 'conv2d', args: () => [{ ...g }, z(150), z(108), z(4), z(200), pre(3)], call: (b, a) => b.conv2d(...(a as Parameters<Backend['conv2d']>)),
    arrays: { 1: 'exact', 2: 'exact', 3: 'exact', 4: 'exact' }, geom: 0, pre: 5 },
  { op: 'scaleShift', args: () => [3, 10, z(30), z(3), z(3), true, z(30)], call: (b, a) => b.scaleShift(...(a as Parameters<Backend['scaleShift']>)),
    arrays: { 2: 'exact', 3: 'exact', 4: 'exact', 6: 'exact' }, sizes: [0, 1] },
  { op: 'channelStats', args: () => [3, 10, z(30), z(3), z(3)], call: (b, a) => b.channelStats(...(a as Parameters<Backend['channelStats']>)),
    arrays: { 2: 'exact', 3: 'exact', 4: 'exact' }, sizes: [0, 1] },
  { op: 'relu', args: () => [10, z(10), z(10)], call: (b, a) => b.relu(...(a as Parameters<Backend['relu']>)), arrays: { 1: 'atLeast', 2: 'atLeast' }, sizes: [0] },
  { op: 'maxPool2d', args: () => [{ ...pg }, z(150), z(54), pre(3)], call: (b, a) => b.maxPool2d(...(a as Parameters<Backend['maxPool2d']>)),
    arrays: { 1: 'exact', 2: 'exact' }, geom: 0, pre: 3 },
  { op: 'avgPool2d', args: () => [{ ...pg }, z(150), z(54), pre(3)], call: (b, a) => b.avgPool2d(...(a as Parameters<Backend['avgPool2d']>)),
    arrays: { 1: 'exact', 2: 'exact' }, geom: 0, pre: 3 },
  { op: 'globalAvgPool', args: () => [3, 2, 25, z(150), z(6)], call: (b, a) => b.globalAvgPool(...(a as Parameters<Backend['globalAvgPool']>)),
    arrays: { 3: 'exact', 4: 'exact' }, sizes: [0, 1, 2] },
  { op: 'linear', args: () => [2, 5, 3, z(10), z(15), z(3), z(6)], call: (b, a) => b.linear(...(a as Parameters<Backend['linear']>)),
    arrays: { 3: 'exact', 4: 'exact', 5: 'exact', 6: 'exact' }, sizes: [0, 1, 2] },
  { op: 'softmax', args: () => [2, 5, z(10), z(10)], call: (b, a) => b.softmax(...(a as Parameters<Backend['softmax']>)), arrays: { 2: 'exact', 3: 'exact' }, sizes: [0, 1] },
  { op: 'dropout', args: () => [10, z(10), new Uint8Array(10), 0.5, z(10)], call: (b, a) => b.dropout(...(a as Parameters<Backend['dropout']>)),
    arrays: { 1: 'atLeast', 2: 'atLeast', 4: 'atLeast' }, sizes: [0, 3] },
];

const BACKWARD: Case[] = [
  { op: 'conv2d backward', args: () => [{ ...g }, z(150), z(108), z(200), z(150), z(108), z(4), pre(3)],
    call: (b, a) => bw(b).conv2d(...(a as Parameters<BackwardOps['conv2d']>)),
    arrays: { 1: 'exact', 2: 'exact', 3: 'exact', 4: 'exact', 5: 'exact', 6: 'exact' }, geom: 0, pre: 7 },
  { op: 'batchNorm backward', args: () => [3, 10, z(30), z(3), z(3), z(3), z(3), true, z(30), z(30), z(3), z(3)],
    call: (b, a) => bw(b).batchNorm(...(a as Parameters<BackwardOps['batchNorm']>)),
    arrays: { 2: 'exact', 3: 'exact', 4: 'exact', 5: 'exact', 6: 'exact', 8: 'exact', 9: 'exact', 10: 'exact', 11: 'exact' }, sizes: [0, 1] },
  { op: 'relu backward', args: () => [10, z(10), z(10), z(10)], call: (b, a) => bw(b).relu(...(a as Parameters<BackwardOps['relu']>)),
    arrays: { 1: 'atLeast', 2: 'atLeast', 3: 'atLeast' }, sizes: [0] },
  { op: 'maxPool2d backward', args: () => [{ ...pg }, z(150), z(54), z(150)], call: (b, a) => bw(b).maxPool2d(...(a as Parameters<BackwardOps['maxPool2d']>)),
    arrays: { 1: 'exact', 2: 'exact', 3: 'exact' }, geom: 0 },
  { op: 'avgPool2d backward', args: () => [{ ...pg }, z(54), z(150)], call: (b, a) => bw(b).avgPool2d(...(a as Parameters<BackwardOps['avgPool2d']>)),
    arrays: { 1: 'exact', 2: 'exact' }, geom: 0 },
  { op: 'globalAvgPool backward', args: () => [3, 2, 25, z(6), z(150)], call: (b, a) => bw(b).globalAvgPool(...(a as Parameters<BackwardOps['globalAvgPool']>)),
    arrays: { 3: 'exact', 4: 'exact' }, sizes: [0, 1, 2] },
  { op: 'linear backward', args: () => [2, 5, 3, z(10), z(15), z(6), z(10), z(15), z(3)],
    call: (b, a) => bw(b).linear(...(a as Parameters<BackwardOps['linear']>)),
    arrays: { 3: 'exact', 4: 'exact', 5: 'exact', 6: 'exact', 7: 'exact', 8: 'exact' }, sizes: [0, 1, 2] },
  { op: 'softmaxCrossEntropy', args: () => [2, 5, z(10), Int32Array.of(1, 4), z(10)],
    call: (b, a) => bw(b).softmaxCrossEntropy(...(a as Parameters<BackwardOps['softmaxCrossEntropy']>)),
    arrays: { 2: 'exact', 3: 'exact', 4: 'exact' }, sizes: [0, 1] },
];

/** Every one-argument corruption of a valid call, with a label. */
function variants(c: Case): [string, unknown[]][] {
  const out: [string, unknown[]][] = [];
  const with_ = (i: number, v: unknown): unknown[] => { const a = c.args(); a[i] = v; return a; };
  for (const [k, kind] of Object.entries(c.arrays)) {
    const i = Number(k);
    const arr = c.args()[i] as Float32Array | Uint8Array | Int32Array;
    const Ctor = arr.constructor as new (n: number) => typeof arr;
    if (arr.length > 0) out.push([`arg ${i} one short`, with_(i, new Ctor(arr.length - 1))]);
    if (kind === 'exact') out.push([`arg ${i} one long`, with_(i, new Ctor(arr.length + 1))]);
  }
  for (const i of c.sizes ?? []) for (const v of BAD_DIMS) out.push([`arg ${i} = ${v}`, with_(i, v)]);
  if (c.geom !== undefined) {
    const geom = c.args()[c.geom] as unknown as Record<string, number>;
    for (const field of Object.keys(geom)) {
      for (const v of [...BAD_DIMS, geom[field] + 1]) {
        if (field === 'pad' && v === geom.pad + 1) continue; // pad 2 with k 3 is a valid conv (ho/wo then mismatch anyway)
        out.push([`${field} = ${v}`, with_(c.geom, { ...geom, [field]: v })]);
      }
    }
  }
  if (c.pre !== undefined) {
    const p = c.args()[c.pre] as { scale: Float32Array; shift: Float32Array; relu: boolean };
    out.push(['pre.scale one short (channels mismatch)', with_(c.pre, { ...p, scale: z(p.scale.length - 1) })]);
    out.push(['pre.shift one long (channels mismatch)', with_(c.pre, { ...p, shift: z(p.shift.length + 1) })]);
  }
  return out;
}

for (const be of backends) {
  const cases = [...FORWARD, ...(be.backward ? BACKWARD : [])];
  test(`${be.name}: the valid calls of the boundary test run${be.name === 'native' ? ' (and the spy sees them)' : ''}`, () => {
    const before = addonCalls.length;
    for (const c of cases) c.call(be, c.args());
    if (be.name === 'native') assert.ok(addonCalls.length - before >= FORWARD.length, 'the addon spy saw no calls');
  });
  test(`${be.name}: a huge size with zero-length partners is refused (2^31 x 0 = 0 elements)`, () => {
    for (const m of [2 ** 31, 2 ** 40]) {
      const before = addonCalls.length;
      assert.throws(() => be.gemm(false, false, m, 0, 0, z(0), z(0), 0, z(0)), { message: /^gemm: m=/ });
      assert.throws(() => be.relu(m, z(0), z(0)), { message: /^relu: / });
      assert.deepEqual(addonCalls.slice(before), []);
    }
  });
  for (const c of cases) {
    const all = variants(c);
    test(`${be.name} ${c.op}: ${all.length} bad calls each throw an Error naming the op${be.name === 'native' ? ', before C' : ''}`, () => {
      for (const [what, args] of all) {
        const before = addonCalls.length;
        assert.throws(() => c.call(be, args), (e: unknown) => {
          assert.ok(e instanceof Error, `${c.op} ${what}: threw ${String(e)}`);
          assert.ok(e.message.startsWith(c.op.split(' ')[0]), `${c.op} ${what}: message '${e.message}' does not name the op`);
          return true;
        }, `${c.op} ${what} was accepted`);
        if (be.name === 'native') assert.deepEqual(addonCalls.slice(before), [], `${c.op} ${what} reached the addon`);
      }
    });
  }
}

test('native: thread count, ISA and benchmark arguments are checked before C', { skip: backends.some((b) => b.name === 'native') ? false : 'no native addon' }, async () => {
  const { loadNative } = await import('../../src/backend/native/index.js');
  const nb = loadNative();
  const before = addonCalls.length;
  for (const n of [0, -1, 1.5, NaN, 65, 2 ** 40]) assert.throws(() => nb.setThreads(n), { message: /^setThreads: / });
  for (const isa of ['', 'avx1024', 'constructor']) assert.throws(() => nb.setIsa(isa as never), { message: /^setIsa: / });
  for (const [iters, threads] of [[-1, 1], [1.5, 1], [10, 0], [10, 65], [2 ** 60, 1]]) assert.throws(() => nb.fmaPeak(iters, threads), { message: /^fmaPeak: / });
  assert.deepEqual(addonCalls.slice(before), []);
});
