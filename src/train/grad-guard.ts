/**
 * Numerical guards for a training step: finding the first parameter (in model order) whose gradient or value
 * is not finite, and clipping gradients by their total L2 norm as torch.nn.utils.clip_grad_norm_ does
 * (PyTorch 1.13: total = ||(||g_1||, ..., ||g_n||)||_2, coef = maxNorm / (total + 1e-6), every gradient
 * multiplied by min(coef, 1)). Not an optimiser: gradients are changed in place, weights never.
 */
import type { Parameter } from '../nn/parameter.js';

export type NamedParams = readonly (readonly [string, Parameter])[];

/** The first NaN or +-Infinity in `a`, or -1. */
function firstBad(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) return i; // NaN - NaN and Inf - Inf are NaN; finite v - v is 0
  }
  return -1;
}

export interface NonFinite {
  /** the parameter's name (torchvision's) */
  name: string;
  /** the first bad value, and how many parameters hold one */
  value: number;
  count: number;
}

/** The first parameter in model order whose gradient (`what` = 'grad') or value ('data') is not finite, or null. */
export function firstNonFinite(params: NamedParams, what: 'grad' | 'data'): NonFinite | null {
  let first: NonFinite | null = null;
  for (const [name, p] of params) {
    const a = what === 'grad' ? p.grad : p.data;
    const i = firstBad(a);
    if (i < 0) continue;
    if (first === null) first = { name, value: a[i], count: 0 };
    first.count++;
  }
  return first;
}

/**
 * Scales every gradient so that their total L2 norm is at most `maxNorm`; returns the total norm before
 * clipping (as clip_grad_norm_ does). Norms are summed in double precision; the scale is applied in float32.
 */
export function clipGradNorm(params: NamedParams, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new Error(`clip-grad-norm: the maximum norm must be positive, got ${maxNorm}`);
  let sq = 0;
  for (const [, p] of params) {
    const g = p.grad;
    let s = 0;
    for (let i = 0; i < g.length; i++) s += g[i] * g[i];
    sq += s;
  }
  const total = Math.sqrt(sq);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    const c = Math.fround(coef);
    for (const [, p] of params) {
      const g = p.grad;
      for (let i = 0; i < g.length; i++) g[i] *= c;
    }
  }
  return total;
}
