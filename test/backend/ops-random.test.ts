/**
 * Fast backends against the reference backend (the specification) on seeded random inputs, over the
 * geometries DenseNet uses: 1x1 bottlenecks, 3x3 pad 1, the 7x7/2 stem, max pool 3/2/1, transition avg pool
 * 2/2/0, odd sizes, batch 1 and 3, GEMMs of awkward sizes in all transposes. The reference itself is checked
 * against PyTorch in ops.test.ts; here it is the expected value, so only other backends run.
 */
import { test } from 'node:test';
import { convGeometry, poolGeometry } from '../../src/backend/backend.js';
import { availableBackends } from '../../src/backend/select.js';
import { Rng } from '../../src/tensor/rng.js';
import { AVGPOOL_CASES, CONV_CASES, convLabel, MAXPOOL_CASES, poolLabel, same } from './cases.js';
import { randArray } from './fixture.js';

const fast = (await availableBackends()).filter((b) => b.name !== 'reference');

test(`backends compared with the reference: ${fast.map((b) => b.name).join(', ') || 'none loaded here'}`, () => {});

/** [m, n, k] */
const GEMM_SIZES: readonly (readonly number[])[] = [[1, 1, 1], [7, 9, 5], [8, 16, 16], [15, 17, 33], [13, 130, 70], [64, 300, 200]];

for (const be of fast) {
  const name = be.name;
  for (const [m, n, k] of GEMM_SIZES) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      for (const beta of [0, 1] as const) {
        test(`${name} gemm m=${m} n=${n} k=${k} transA=${ta} transB=${tb} beta=${beta}`, () => {
          const rng = new Rng(m * 1000 + n + k);
          const a = randArray(rng, m * k);
          const b = randArray(rng, k * n);
          same(be, [randArray(rng, m * n)], (bk, [c]) => bk.gemm(ta, tb, m, n, k, a, b, beta, c), name);
        });
      }
    }
  }
  for (const c of CONV_CASES) {
    for (const bias of [true, false]) {
      test(`${name} conv2d ${convLabel(c)}${bias ? ' bias' : ''}`, () => {
        const g = convGeometry(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
        const rng = new Rng(c.reduce((s, v) => s * 31 + v, 7));
        const x = randArray(rng, g.cin * g.n * g.h * g.w);
        const w = randArray(rng, g.cout * g.cin * g.kh * g.kw, Math.sqrt(3 / (g.cin * g.kh * g.kw)));
        const b = bias ? randArray(rng, g.cout) : null;
        same(be, [new Float32Array(g.cout * g.n * g.ho * g.wo)], (bk, [y]) => bk.conv2d(g, x, w, b, y), name);
      });
    }
  }
  for (const [op, cases] of [['maxPool2d', MAXPOOL_CASES], ['avgPool2d', AVGPOOL_CASES]] as const) {
    for (const c of cases) {
      test(`${name} ${op} ${poolLabel(c)}`, () => {
        const g = poolGeometry(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        const x = randArray(new Rng(c[2] + c[0]), g.c * g.n * g.h * g.w);
        same(be, [new Float32Array(g.c * g.n * g.ho * g.wo)], (bk, [y]) => bk[op](g, x, y), name, 1e-6, 1e-6);
      });
    }
  }
  for (const [c, s, relu] of [[13, 3 * 81, true], [64, 2 * 256, false], [1, 1, true]] as const) {
    test(`${name} channelStats + scaleShift c=${c} s=${s} relu=${relu}`, () => {
      const rng = new Rng(c + s);
      const x = randArray(rng, c * s, 2).map((v) => v + 3); // offset mean: variance must not cancel
      same(be, [new Float32Array(c), new Float32Array(c)], (bk, [mu, v]) => bk.channelStats(c, s, x, mu, v), name, 1e-5, 1e-5);
      const scale = randArray(rng, c);
      const shift = randArray(rng, c);
      same(be, [new Float32Array(c * s)], (bk, [y]) => bk.scaleShift(c, s, x, scale, shift, relu, y), name, 1e-6, 1e-6);
    });
  }
  test(`${name} globalAvgPool c=35 n=3 hw=49, relu, softmax, dropout`, () => {
    const rng = new Rng(5);
    const x = randArray(rng, 35 * 3 * 49);
    same(be, [new Float32Array(3 * 35)], (bk, [y]) => bk.globalAvgPool(35, 3, 49, x, y), 'globalAvgPool', 1e-6, 1e-6);
    same(be, [x.slice()], (bk, [y]) => bk.relu(y.length, y, y), 'relu', 0, 0);
    same(be, [randArray(rng, 3 * 1000, 10)], (bk, [y]) => bk.softmax(3, 1000, y, y), 'softmax', 1e-7, 1e-5);
    const keep = Uint8Array.from({ length: 1001 }, () => (rng.uniform() < 0.8 ? 1 : 0));
    same(be, [randArray(rng, 1001)], (bk, [y]) => bk.dropout(1001, y, keep, 0.2, y), 'dropout', 0, 1e-6);
  });
  // batch 1 and small batches take dot products in csrc/linear.c, batches over 8 the GEMM
  for (const [n, inF, outF, bias] of [[3, 100, 10, true], [1, 1024, 1000, true], [5, 342, 7, true], [8, 1027, 30, false],
    [9, 64, 20, true], [1, 3, 2, false], [33, 130, 19, true]] as const) {
    test(`${name} linear x=[${n},${inF}] w=[${outF},${inF}]${bias ? ' bias' : ''}`, () => {
      const rng = new Rng(inF);
      const x = randArray(rng, n * inF);
      const w = randArray(rng, outF * inF, 0.1);
      const b = bias ? randArray(rng, outF) : null;
      same(be, [new Float32Array(n * outF)], (bk, [y]) => bk.linear(n, inF, outF, x, w, b, y), name);
    });
  }
}
