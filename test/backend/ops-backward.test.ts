/**
 * Backward ops on every backend that has them, against PyTorch's autograd gradients in test/fixtures/ops.json,
 * including the accumulate/overwrite contract of backend.ts: dx of conv2d and batchNorm start non-zero and
 * must be added to; every overwritten output starts as NaN and must not be read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGeometry, poolGeometry, type Backend } from '../../src/backend/backend.js';
import { availableBackends } from '../../src/backend/select.js';
import { cnhwToNchw } from '../../src/tensor/layout.js';
import { assertClose } from '../helpers/check.js';
import { cnhw, f32, fixture, shapeStr } from './fixture.js';

const backends = (await availableBackends()).filter((b) => b.backward);
const tol = (be: Backend): [number, number] => (be.name === 'reference' ? [1e-5, 1e-5] : [1e-4, 1e-4]);
const nan = (n: number): Float32Array => new Float32Array(n).fill(NaN);
const plus = (data: readonly number[], c: number): number[] => data.map((v) => v + c);

for (const be of backends) {
  const bw = be.backward;
  if (!bw) continue;
  const name = be.name;

  for (const cc of fixture.conv2d) {
    const [n, cin, h, w] = cc.x.shape;
    const [cout, , k] = cc.w.shape;
    test(`${name} conv2d backward x=${shapeStr(cc.x)} w=${shapeStr(cc.w)} stride=${cc.stride} pad=${cc.pad} vs torch`, () => {
      const g = convGeometry(n, cin, h, w, cout, k, cc.stride, cc.pad);
      const dx = new Float32Array(cc.x.data.length).fill(0.5); // accumulates
      const dw = nan(cc.w.data.length);
      const db = cc.db ? nan(cout) : null;
      bw.conv2d(g, cnhw(cc.x), f32(cc.w), cnhw(cc.dy), dx, dw, db);
      assertClose(cnhwToNchw(dx, n, cin, h, w), plus(cc.dx.data, 0.5), `${name} dx`, ...tol(be));
      assertClose(dw, cc.dw.data, `${name} dw`, ...tol(be));
      if (db && cc.db) assertClose(db, cc.db.data, `${name} db`, ...tol(be));
      const dwOnly = nan(cc.w.data.length);
      bw.conv2d(g, cnhw(cc.x), f32(cc.w), cnhw(cc.dy), null, dwOnly, null);
      assertClose(dwOnly, dw, `${name} dw alone`, 0, 0);
    });
  }

  for (const bc of fixture.batchNorm) {
    const [n, c, h, w] = bc.x.shape;
    test(`${name} batchNorm backward x=${shapeStr(bc.x)} relu=${bc.relu} vs torch`, () => {
      const invStd = f32(bc.var).map((v) => 1 / Math.sqrt(v + bc.eps));
      const dx = new Float32Array(bc.x.data.length).fill(0.25); // accumulates
      const [dgamma, dbeta] = [nan(c), nan(c)];
      bw.batchNorm(c, n * h * w, cnhw(bc.x), f32(bc.mean), invStd, f32(bc.gamma), f32(bc.beta), bc.relu,
        cnhw(bc.dy), dx, dgamma, dbeta);
      assertClose(cnhwToNchw(dx, n, c, h, w), plus(bc.dx.data, 0.25), `${name} dx`, ...tol(be));
      assertClose(dgamma, bc.dgamma.data, `${name} dgamma`, ...tol(be));
      assertClose(dbeta, bc.dbeta.data, `${name} dbeta`, ...tol(be));
    });
  }

  for (const [op, cases] of [['maxPool2d', fixture.maxPool2d], ['avgPool2d', fixture.avgPool2d]] as const) {
    for (const pc of cases) {
      const [n, c, h, w] = pc.x.shape;
      test(`${name} ${op} backward x=${shapeStr(pc.x)} k=${pc.k} stride=${pc.stride} pad=${pc.pad} vs torch`, () => {
        const g = poolGeometry(c, n, h, w, pc.k, pc.stride, pc.pad);
        const dx = nan(pc.x.data.length);
        if (op === 'maxPool2d') bw.maxPool2d(g, cnhw(pc.x), cnhw(pc.dy), dx);
        else bw.avgPool2d(g, cnhw(pc.dy), dx);
        assertClose(cnhwToNchw(dx, n, c, h, w), pc.dx.data, name, 1e-6, 1e-6);
      });
    }
  }

  for (const gc of fixture.globalAvgPool) {
    test(`${name} globalAvgPool backward x=${shapeStr(gc.x)} vs torch`, () => {
      const [n, c, h, w] = gc.x.shape;
      const dx = nan(gc.x.data.length);
      bw.globalAvgPool(c, n, h * w, f32(gc.dy), dx);
      assertClose(cnhwToNchw(dx, n, c, h, w), gc.dx.data, name, 1e-7, 1e-6);
    });
  }

  for (const lc of fixture.linear) {
    const [n, inF] = lc.x.shape;
    const outF = lc.w.shape[0];
    test(`${name} linear backward x=${shapeStr(lc.x)} w=${shapeStr(lc.w)} vs torch`, () => {
      const [dx, dw] = [nan(n * inF), nan(outF * inF)];
      const db = lc.db ? nan(outF) : null;
      bw.linear(n, inF, outF, f32(lc.x), f32(lc.w), f32(lc.dy), dx, dw, db);
      assertClose(dx, lc.dx.data, `${name} dx`, ...tol(be));
      assertClose(dw, lc.dw.data, `${name} dw`, ...tol(be));
      if (db && lc.db) assertClose(db, lc.db.data, `${name} db`, ...tol(be));
    });
  }

  for (const ce of fixture.softmaxCrossEntropy) {
    const [n, k] = ce.logits.shape;
    test(`${name} softmaxCrossEntropy logits=${shapeStr(ce.logits)} vs torch cross_entropy`, () => {
      const dlogits = nan(n * k);
      const loss = bw.softmaxCrossEntropy(n, k, f32(ce.logits), Int32Array.from(ce.labels.data), dlogits);
      assertClose([loss], [ce.loss], `${name} loss`, 1e-6, 1e-6);
      assertClose(dlogits, ce.dlogits.data, `${name} dlogits`, 1e-7, 1e-5);
    });
  }

  test(`${name} relu backward in place (dx aliases dy): gradient only where y > 0`, () => {
    const y = Float32Array.of(0, 1, -0, 2.5, 0, 1e-30, 3);
    const dy = Float32Array.of(1, 2, 3, 4, 5, 6, 7);
    bw.relu(6, y, dy, dy);
    assert.deepEqual(Array.from(dy), [0, 2, 0, 4, 0, 6, 7]); // element 6 is past `size`
  });
}
