/**
 * Loads test/fixtures/ops.json (written by reference/make_op_fixtures.py from PyTorch 1.13) and converts its
 * NCHW tensors to the engine's CNHW. Types mirror the script's output; test helpers only.
 */
import { readFileSync } from 'node:fs';
import { nchwToCnhw } from '../../src/tensor/layout.js';
import type { ConvGeometry, ConvPre } from '../../src/backend/backend.js';
import { Rng } from '../../src/tensor/rng.js';

export interface T { shape: number[]; data: number[] }
export interface ConvCase { stride: number; pad: number; x: T; w: T; b?: T; y: T; dy: T; dx: T; dw: T; db?: T }
export interface PoolCase { k: number; stride: number; pad: number; x: T; y: T; dy: T; dx: T }
export interface GemmCase {
  m: number; n: number; k: number; transA: boolean; transB: boolean; beta: 0 | 1;
  a?: T; b?: T; c0?: T; c?: T; formula?: boolean; sampleAt?: number[]; cSamples?: T;
}
export interface LinearCase { x: T; w: T; b?: T; y: T; dy: T; dx: T; dw: T; db?: T }
export interface BnCase {
  relu: boolean; eps: number; x: T; gamma: T; beta: T; mean: T; var: T; y: T; dy: T; dx: T; dgamma: T; dbeta: T;
}
export interface OpsFixture {
  generated_by: string;
  conv2d: ConvCase[];
  maxPool2d: PoolCase[];
  avgPool2d: PoolCase[];
  gemm: GemmCase[];
  globalAvgPool: { x: T; y: T; dy: T; dx: T }[];
  linear: LinearCase[];
  softmax: { x: T; y: T }[];
  relu: { x: T; y: T }[];
  batchNorm: BnCase[];
  softmaxCrossEntropy: { logits: T; labels: T; loss: number; dlogits: T }[];
}

export const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/ops.json', import.meta.url), 'utf8'),
) as OpsFixture;

export const f32 = (t: T): Float32Array => Float32Array.from(t.data);

/** A 4-D NCHW fixture tensor in CNHW; other ranks pass through unchanged. */
export function cnhw(t: T): Float32Array {
  if (t.shape.length !== 4) return f32(t);
  const [n, c, h, w] = t.shape;
  return nchwToCnhw(t.data, n, c, h, w);
}

export const shapeStr = (t: T): string => `[${t.shape.join(',')}]`;

/** The big GEMM's inputs, regenerated from the same formula as the Python script. */
export function gemmFormulaInputs(g: GemmCase): { a: Float32Array; b: Float32Array } {
  const a = new Float32Array(g.m * g.k).map((_, i) => ((i * 37) % 101) / 50 - 1);
  const b = new Float32Array(g.k * g.n).map((_, i) => ((i * 53) % 97) / 48 - 1);
  return { a, b };
}

/** Seeded uniform values in [-scale, scale). */
export function randArray(rng: Rng, size: number, scale = 1): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rng.uniform() * 2 - 1) * scale;
  return out;
}

/** Per-channel batch mean and 1/sqrt(biased variance + 1e-5) of x [c][s] (training batch-norm statistics), in float64. */
export function batchStats(c: number, s: number, x: Float32Array): { mean: Float32Array; invStd: Float32Array } {
  const mean = new Float32Array(c);
  const invStd = new Float32Array(c);
  for (let ch = 0; ch < c; ch++) {
    let m = 0;
    for (let i = 0; i < s; i++) m += x[ch * s + i];
    m /= s;
    let v = 0;
    for (let i = 0; i < s; i++) v += (x[ch * s + i] - m) ** 2;
    mean[ch] = m;
    invStd[ch] = 1 / Math.sqrt(v / s + 1e-5);
  }
  return { mean, invStd };
}

/** Random operands of a convolution and its input gradient, with a BN-ReLU `pre` (Kaiming-scale weights). */
export interface ConvInputs { x: Float32Array; w: Float32Array; bias: Float32Array; dy: Float32Array; dx0: Float32Array; pre: ConvPre }

export function convInputs(g: ConvGeometry, seed: number): ConvInputs {
  const rng = new Rng(seed);
  const kdim = g.cin * g.kh * g.kw;
  return {
    x: randArray(rng, g.cin * g.n * g.h * g.w, 2),
    w: randArray(rng, g.cout * kdim, Math.sqrt(3 / kdim)),
    bias: randArray(rng, g.cout),
    dy: randArray(rng, g.cout * g.n * g.ho * g.wo),
    dx0: randArray(rng, g.cin * g.n * g.h * g.w),
    pre: { scale: randArray(rng, g.cin, 1.5), shift: randArray(rng, g.cin, 1.5), relu: true },
  };
}
