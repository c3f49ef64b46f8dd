/**
 * Layout conversion at the engine's edges: the public API is NCHW (PyTorch's convention), the engine keeps
 * feature maps channel-major CNHW (DESIGN.md, "Memory layout"). Each returns a new Float32Array; no math.
 */

function checkLen(fn: string, data: ArrayLike<number>, n: number, c: number, h: number, w: number): void {
  if (data.length !== n * c * h * w) {
    throw new Error(`${fn}: data has ${data.length} elements but [n=${n},c=${c},h=${h},w=${w}] needs ${n * c * h * w}`);
  }
}

/** x: [N, C, H, W] -> [C, N, H, W]. */
export function nchwToCnhw(data: ArrayLike<number>, n: number, c: number, h: number, w: number): Float32Array {
  checkLen('nchwToCnhw', data, n, c, h, w);
  const hw = h * w;
  const out = new Float32Array(n * c * hw);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const src = (b * c + ch) * hw;
      const dst = (ch * n + b) * hw;
      for (let i = 0; i < hw; i++) out[dst + i] = data[src + i];
    }
  }
  return out;
}

/** x: [C, N, H, W] -> [N, C, H, W]; the arguments still name the NCHW dims (n, c, h, w). */
export function cnhwToNchw(data: ArrayLike<number>, n: number, c: number, h: number, w: number): Float32Array {
  checkLen('cnhwToNchw', data, n, c, h, w);
  const hw = h * w;
  const out = new Float32Array(n * c * hw);
  for (let ch = 0; ch < c; ch++) {
    for (let b = 0; b < n; b++) {
      const src = (ch * n + b) * hw;
      const dst = (b * c + ch) * hw;
      for (let i = 0; i < hw; i++) out[dst + i] = data[src + i];
    }
  }
  return out;
}
