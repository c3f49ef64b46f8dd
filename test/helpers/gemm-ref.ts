/** The GEMM every fast backend's tests check against: float64 triple loop with the per-element error scale. */

/** c = op(a) op(b) + beta c in float64, and the sum of |terms| per element (the error scale). */
export function gemmRef(tA: boolean, tB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array,
  beta: 0 | 1, c0: Float32Array): { c: Float64Array; mag: Float64Array } {
  const c = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = beta ? c0[i * n + j] : 0;
      let t = Math.abs(s);
      for (let p = 0; p < k; p++) {
        const prod = (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
        s += prod;
        t += Math.abs(prod);
      }
      c[i * n + j] = s;
      mag[i * n + j] = t;
    }
  }
  return { c, mag };
}
