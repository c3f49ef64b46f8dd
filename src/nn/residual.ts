/**
 * The residual addition of ResNets, y += x (He et al. 2016, "Identity Mappings in Deep Residual Networks", Eq. 1:
 * x_{l+1} = x_l + F(x_l)), forward and backward (the gradient of a sum flows unchanged to both terms: dx += dy).
 * Not a backend op yet: a plain TypeScript loop over Float32Array, one memory pass per block, small next to the
 * block's convolutions but single-threaded and unvectorised. Cost to move into the engine later (fused add+ReLU).
 */
import type { FeatureMap } from './context.js';

/** y[i] += x[i] over the first y.length elements; x must be at least as long. */
export function addInto(y: Float32Array, x: Float32Array): void {
  if (x.length < y.length) throw new Error(`residual add: ${x.length} floats added into ${y.length}`);
  for (let i = 0; i < y.length; i++) y[i] += x[i];
}

/** y += x for two channel-major maps of one shape ([C][N][H][W]); `path` names the block in errors. */
export function residualAdd(path: string, y: FeatureMap, x: FeatureMap): void {
  if (y.c !== x.c || y.n !== x.n || y.h !== x.h || y.w !== x.w) {
    throw new Error(`${path}: residual add of [${x.n},${x.c},${x.h},${x.w}] into [${y.n},${y.c},${y.h},${y.w}] (shapes differ)`);
  }
  addInto(y.data, x.data);
}
