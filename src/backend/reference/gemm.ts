/**
 * GEMM, the reference: c[m][n] = op(a) · op(b) + beta * c, row-major, dense leading dimensions.
 * Semantics of BLAS sgemm (alpha = 1); one float64 dot product per output element. Not fast: the
 * native and wasm kernels are tested against this.
 */
import type { F32 } from '../backend.js';
import { expectDims, expectLength } from '../validate.js';

export function gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: F32, b: F32, beta: 0 | 1, c: F32): void {
  const op = 'gemm';
  expectDims(op, { m, n, k }, false);
  expectLength(op, 'a', a, transA ? { k, m } : { m, k });
  expectLength(op, 'b', b, transB ? { n, k } : { k, n });
  expectLength(op, 'c', c, { m, n });
  if (beta !== 0 && beta !== 1) throw new Error(`gemm: beta must be 0 or 1, got ${beta}`);
  // op(a)[i][p] = a[i*aRow + p*aCol]; op(b)[p][j] = b[p*bRow + j*bCol]
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * aRow + p * aCol] * b[p * bRow + j * bCol];
      c[i * n + j] = beta === 1 ? c[i * n + j] + s : s;
    }
  }
}
