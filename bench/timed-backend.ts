/**
 * A Backend wrapper for profiles: forwards every op to the wrapped backend and adds its wall time to a map under
 * a category (conv 1x1 / 3x3 forward and backward, BN, pools, the rest). Used by the bench's per-op rows.
 */
import type { Backend, BackwardOps, ConvGeometry } from '../src/backend/backend.js';

/** Milliseconds per category, accumulated by the wrapper. */
export type Times = Map<string, number>;

function convKind(g: ConvGeometry): string {
  return g.kh === 1 && g.kw === 1 ? 'conv 1x1' : g.kh === 3 && g.kw === 3 ? 'conv 3x3' : `conv ${g.kh}x${g.kw}`;
}

/** A Backend that forwards every op to `be` and adds its wall time to `times` under a category. */
export function timed(be: Backend, times: Times): Backend {
  const add = (cat: string, t0: number): void => {
    times.set(cat, (times.get(cat) ?? 0) + performance.now() - t0);
  };
  const bw = be.backward;
  if (!bw) throw new Error(`${be.name} has no backward ops`);
  const backward: BackwardOps = {
    conv2d(g, x, w, dy, dx, dw, db, pre, overwriteDx) {
      const t0 = performance.now();
      bw.conv2d(g, x, w, dy, dx, dw, db, pre, overwriteDx);
      add(`${convKind(g)} bwd`, t0);
    },
    batchNorm(...a) {
      const t0 = performance.now();
      bw.batchNorm(...a);
      add('BN bwd', t0);
    },
    relu(...a) {
      const t0 = performance.now();
      bw.relu(...a);
      add('rest', t0);
    },
    maxPool2d(...a) {
      const t0 = performance.now();
      bw.maxPool2d(...a);
      add('pools', t0);
    },
    avgPool2d(...a) {
      const t0 = performance.now();
      bw.avgPool2d(...a);
      add('pools', t0);
    },
    globalAvgPool(...a) {
      const t0 = performance.now();
      bw.globalAvgPool(...a);
      add('pools', t0);
    },
    linear(...a) {
      const t0 = performance.now();
      bw.linear(...a);
      add('rest', t0);
    },
    softmaxCrossEntropy(...a) {
      const t0 = performance.now();
      const loss = bw.softmaxCrossEntropy(...a);
      add('rest', t0);
      return loss;
    },
  };
  const wrap = <A extends unknown[]>(cat: string, f: (...a: A) => void) => (...a: A): void => {
    const t0 = performance.now();
    f(...a);
    add(cat, t0);
  };
  return {
    name: be.name,
    threads: be.threads,
    gemm: wrap('rest', be.gemm.bind(be)),
    conv2d(g, x, w, bias, y, pre) {
      const t0 = performance.now();
      be.conv2d(g, x, w, bias, y, pre);
      add(`${convKind(g)} fwd`, t0);
    },
    scaleShift: wrap('BN fwd (apply/recompute)', be.scaleShift.bind(be)),
    channelStats: wrap('BN fwd (stats)', be.channelStats.bind(be)),
    relu: wrap('rest', be.relu.bind(be)),
    maxPool2d: wrap('pools', be.maxPool2d.bind(be)),
    avgPool2d: wrap('pools', be.avgPool2d.bind(be)),
    globalAvgPool: wrap('pools', be.globalAvgPool.bind(be)),
    linear: wrap('rest', be.linear.bind(be)),
    softmax: wrap('rest', be.softmax.bind(be)),
    dropout: wrap('rest', be.dropout.bind(be)),
    backward,
  };
}
