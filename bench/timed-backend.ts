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
  const bw = be.backward;
  if (!bw) throw new Error(`${be.name} has no backward ops`);
  /** f, timed under `cat` (or the category it names for the call's first argument) */
  const wrap = <A extends unknown[], R>(cat: string | ((first: A[0]) => string), f: (...a: A) => R) => (...a: A): R => {
    const t0 = performance.now();
    const r = f(...a);
    const c = typeof cat === 'string' ? cat : cat(a[0]);
    times.set(c, (times.get(c) ?? 0) + performance.now() - t0);
    return r;
  };
  const backward: BackwardOps = {
    conv2d: wrap((g: ConvGeometry) => `${convKind(g)} bwd`, bw.conv2d.bind(bw)),
    batchNorm: wrap('BN bwd', bw.batchNorm.bind(bw)),
    relu: wrap('rest', bw.relu.bind(bw)),
    ...(bw.conv1x1BatchNorm && bw.batchNormDeferredAdd ? {
      conv1x1BatchNorm: wrap('conv 1x1 bwd + BN bwd', bw.conv1x1BatchNorm.bind(bw)),
      batchNormDeferredAdd: wrap('BN bwd', bw.batchNormDeferredAdd.bind(bw)),
    } : {}),
    maxPool2d: wrap('pools', bw.maxPool2d.bind(bw)),
    avgPool2d: wrap('pools', bw.avgPool2d.bind(bw)),
    globalAvgPool: wrap('pools', bw.globalAvgPool.bind(bw)),
    linear: wrap('rest', bw.linear.bind(bw)),
    softmaxCrossEntropy: wrap('rest', bw.softmaxCrossEntropy.bind(bw)),
  };
  return {
    name: be.name,
    threads: be.threads,
    gemm: wrap('rest', be.gemm.bind(be)),
    conv2d: wrap((g: ConvGeometry) => `${convKind(g)} fwd`, be.conv2d.bind(be)),
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
