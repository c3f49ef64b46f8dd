/**
 * Forward ops on every backend that loads here (availableBackends): each is checked against PyTorch's outputs
 * in test/fixtures/ops.json (reference/make_op_fixtures.py). Fast backends are also checked against the
 * reference backend on seeded random inputs in ops-random.test.ts; bad lengths in ops-errors.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, poolGeometry, type Backend } from '../../src/backend/backend.js';
import { availableBackends } from '../../src/backend/select.js';
import { cnhwToNchw } from '../../src/tensor/layout.js';
import { assertClose } from '../helpers/check.js';
import { cnhw, f32, fixture, gemmFormulaInputs, shapeStr } from './fixture.js';

const backends = await availableBackends();
/** The reference accumulates in float64, so it must match torch closely; float32 kernels get more room. */
const tol = (be: Backend, loose = 1e-4): [number, number] => (be.name === 'reference' ? [1e-5, 1e-5] : [loose, loose]);

test(`backends under test: ${backends.map((b) => b.name).join(', ')}`, () => {
  assert.ok(backends.some((b) => b.name === 'reference'));
});

for (const be of backends) {
  const name = be.name;

  for (const g of fixture.gemm) {
    test(`${name} gemm m=${g.m} n=${g.n} k=${g.k} transA=${g.transA} transB=${g.transB} beta=${g.beta} vs torch`, () => {
      if (g.formula && g.sampleAt && g.cSamples) {
        const { a, b } = gemmFormulaInputs(g);
        const c = new Float32Array(g.m * g.n);
        be.gemm(g.transA, g.transB, g.m, g.n, g.k, a, b, 0, c);
        assertClose(g.sampleAt.map((i) => c[i]), g.cSamples.data, name, ...tol(be));
      } else if (g.a && g.b && g.c0 && g.c) {
        const c = f32(g.c0);
        be.gemm(g.transA, g.transB, g.m, g.n, g.k, f32(g.a), f32(g.b), g.beta, c);
        assertClose(c, g.c.data, name, ...tol(be));
      } else assert.fail('malformed gemm case');
    });
  }

  for (const cc of fixture.conv2d) {
    const [n, cin, h, w] = cc.x.shape;
    const [cout, , k] = cc.w.shape;
    const label = `x=${shapeStr(cc.x)} w=${shapeStr(cc.w)} stride=${cc.stride} pad=${cc.pad}${cc.b ? ' bias' : ''}`;
    test(`${name} conv2d ${label} vs torch`, () => {
      const g = convGeometry(n, cin, h, w, cout, k, cc.stride, cc.pad);
      const y = new Float32Array(cout * n * g.ho * g.wo);
      be.conv2d(g, cnhw(cc.x), f32(cc.w), cc.b ? f32(cc.b) : null, y);
      assertClose(cnhwToNchw(y, n, cout, g.ho, g.wo), cc.y.data, name, ...tol(be));
    });
  }

  for (const [op, cases] of [['maxPool2d', fixture.maxPool2d], ['avgPool2d', fixture.avgPool2d]] as const) {
    for (const pc of cases) {
      const [n, c, h, w] = pc.x.shape;
      test(`${name} ${op} x=${shapeStr(pc.x)} k=${pc.k} stride=${pc.stride} pad=${pc.pad} vs torch`, () => {
        const g = poolGeometry(c, n, h, w, pc.k, pc.stride, pc.pad);
        const y = new Float32Array(c * n * g.ho * g.wo);
        be[op](g, cnhw(pc.x), y);
        assertClose(cnhwToNchw(y, n, c, g.ho, g.wo), pc.y.data, name, ...tol(be, 1e-5));
      });
    }
  }

  for (const gc of fixture.globalAvgPool) {
    test(`${name} globalAvgPool x=${shapeStr(gc.x)} vs torch`, () => {
      const [n, c, h, w] = gc.x.shape;
      const y = new Float32Array(n * c);
      be.globalAvgPool(c, n, h * w, cnhw(gc.x), y);
      assertClose(y, gc.y.data, name, ...tol(be, 1e-5));
    });
  }

  for (const lc of fixture.linear) {
    const [n, inF] = lc.x.shape;
    const outF = lc.w.shape[0];
    test(`${name} linear x=${shapeStr(lc.x)} w=${shapeStr(lc.w)}${lc.b ? ' bias' : ''} vs torch`, () => {
      const y = new Float32Array(n * outF);
      be.linear(n, inF, outF, f32(lc.x), f32(lc.w), lc.b ? f32(lc.b) : null, y);
      assertClose(y, lc.y.data, name, ...tol(be));
    });
  }

  for (const sc of fixture.softmax) {
    test(`${name} softmax x=${shapeStr(sc.x)} (one logit 80) vs torch`, () => {
      const [n, k] = sc.x.shape;
      const x = f32(sc.x);
      be.softmax(n, k, x, x); // in place: y may alias x
      assertClose(x, sc.y.data, name, 1e-6, 1e-5);
    });
  }

  for (const rc of fixture.relu) {
    test(`${name} relu size=${rc.x.data.length} in place vs torch`, () => {
      const x = f32(rc.x);
      be.relu(x.length, x, x);
      assert.deepEqual(Array.from(x), rc.y.data.map((v) => Math.fround(v)));
    });
  }

  for (const bc of fixture.batchNorm) {
    const [n, c, h, w] = bc.x.shape;
    const s = n * h * w;
    test(`${name} channelStats + scaleShift x=${shapeStr(bc.x)} relu=${bc.relu} vs torch batch_norm (training)`, () => {
      const x = cnhw(bc.x);
      const mean = new Float32Array(c);
      const variance = new Float32Array(c);
      be.channelStats(c, s, x, mean, variance);
      assertClose(mean, bc.mean.data, `${name} mean`, 1e-6, 1e-5);
      assertClose(variance, bc.var.data, `${name} variance`, 1e-6, 1e-5);
      const gamma = f32(bc.gamma);
      const beta = f32(bc.beta);
      const scale = mean.map((_, i) => gamma[i] / Math.sqrt(variance[i] + bc.eps));
      const shift = mean.map((m, i) => beta[i] - m * scale[i]);
      const y = new Float32Array(c * s);
      be.scaleShift(c, s, x, scale, shift, bc.relu, y);
      assertClose(cnhwToNchw(y, n, c, h, w), bc.y.data, name, 1e-5, 1e-5);
    });
  }

  test(`${name} dropout size=37 p=0.3 in place: kept units scaled by 1/(1-p), dropped ones zero`, () => {
    const size = 37;
    const p = 0.3;
    const x = Float32Array.from({ length: size + 3 }, (_, i) => i - 10);
    const keep = Uint8Array.from({ length: size }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const expected = Array.from(x, (v, i) => (i >= size ? v : keep[i] ? Math.fround(v / (1 - p)) : 0));
    be.dropout(size, x, keep, p, x);
    assert.deepEqual(Array.from(x), expected); // elements past `size` untouched
  });
}
