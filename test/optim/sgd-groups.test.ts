/**
 * SGD parameter groups (`--backbone-lr`): a group's update is its lr multiplier times the update at the base lr,
 * with weight decay and the no-decay rule for rank-1 parameters unchanged; momentum state still by name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Parameter } from '../../src/nn/parameter.js';
import { SGD } from '../../src/optim/sgd.js';

function param(values: number[], grad: number[], shape = [values.length]): Parameter {
  const p = new Parameter(Float32Array.from(values), shape);
  p.grad.set(grad);
  return p;
}

test('sgd groups lrScale 0.1 and 1: updates 0.1x and 1x of p -= lr (g + wd p), rank-1 parameters undecayed', () => {
  const w0 = [1, -2, 0.5, 4];
  const g = [0.3, -0.1, 0.2, 0.05];
  const back = param(w0, g, [2, 2]);
  const backBias = param([0.5, 0.5], [1, -1]);
  const head = param(w0, g, [2, 2]);
  const lr = 0.5;
  const wd = 0.01;
  const sgd = new SGD([{ params: [['body.w', back], ['body.b', backBias]], lrScale: 0.1 }, { params: [['head.w', head]] }],
    { lr, weightDecay: wd, noDecayOnBnAndBias: true });
  sgd.step();
  for (let j = 0; j < 4; j++) {
    const full = lr * (g[j] + wd * w0[j]);
    assert.ok(Math.abs((w0[j] - head.data[j]) - full) < 1e-6, `head ${j}`);
    assert.ok(Math.abs((w0[j] - back.data[j]) - 0.1 * full) < 1e-6, `body ${j}`);
  }
  assert.ok(Math.abs((0.5 - backBias.data[0]) - 0.1 * lr * 1) < 1e-6, 'rank-1 parameter: no decay, scaled lr');
  // the schedule sets sgd.lr: both groups follow
  sgd.lr = 0.05;
  const h1 = Float32Array.from(head.data);
  const b1 = Float32Array.from(back.data);
  sgd.step();
  for (let j = 0; j < 4; j++) {
    assert.ok(Math.abs((h1[j] - head.data[j]) - 0.05 * (g[j] + wd * h1[j])) < 1e-6, `head ${j} at lr 0.05`);
    assert.ok(Math.abs((b1[j] - back.data[j]) - 0.1 * 0.05 * (g[j] + wd * b1[j])) < 1e-6, `body ${j} at lr 0.1 x 0.05`);
  }
});

test('sgd groups: momentum state by name across groups; bad multipliers and duplicates refused', () => {
  const a = param([1, 2], [0.1, 0.1]);
  const b = param([3], [0.2]);
  const s = new SGD([{ params: [['a', a]], lrScale: 0.5 }, { params: [['b', b]] }], { lr: 0.1, momentum: 0.9 });
  s.step();
  assert.deepEqual([...s.state().keys()], ['a', 'b']);
  const t = new SGD([['a', a], ['b', b]], { lr: 0.1, momentum: 0.9 });
  t.loadState(s.state());
  assert.equal(t.state().size, 2);
  assert.throws(() => new SGD([{ params: [['a', a]], lrScale: 0 }], { lr: 0.1 }), /lr multiplier must be positive/);
  assert.throws(() => new SGD([{ params: [['a', a]] }, { params: [['a', a]] }], { lr: 0.1 }), /a is in more than one group/);
});
