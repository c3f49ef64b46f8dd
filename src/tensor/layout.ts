/**
 * Layout conversion at the engine's edges: the public API is NCHW (PyTorch's convention), the engine keeps
 * feature maps channel-major CNHW (DESIGN.md, "Memory layout"). Each returns a new Float32Array, except the
 * *Into variant, which writes a caller's buffer (the model's reused input slot); no math.
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

/**
 * nchwToCnhw into `out` (at least n*c*h*w floats): one plane copy (memcpy) per (image, channel), one copy at
 * batch 1, where the layouts coincide. The engine's input conversion: no fresh memory, no per-float JS loop.
 * DenseNet-121 input [N,3,224,224], process CPU time, medians of 31, against nchwToCnhw + a copy into the slot
 * (what the model did): batch 1 0.298 -> 0.012 ms, batch 8 4.37 -> 0.15 ms; a null-backend forward (all JS, no
 * kernels) batch 1 0.89 -> 0.52 ms, batch 8 5.37 -> 0.78 ms.
 */
export function nchwToCnhwInto(data: Float32Array, n: number, c: number, h: number, w: number, out: Float32Array): Float32Array {
  checkLen('nchwToCnhwInto', data, n, c, h, w);
  if (out.length < n * c * h * w) throw new Error(`nchwToCnhwInto: out has ${out.length} elements but [n=${n},c=${c},h=${h},w=${w}] needs ${n * c * h * w}`);
  const hw = h * w;
  if (n === 1) out.set(data);
  else {
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) out.set(data.subarray((b * c + ch) * hw, (b * c + ch + 1) * hw), (ch * n + b) * hw);
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
