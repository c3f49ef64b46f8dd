/**
 * The compute interface: every op a DenseNet needs, forward now and backward (for training) declared.
 *
 * Layout. Inside the engine a feature map is channel-major, [C][N][H][W] ("CNHW"): channel c of the
 * whole batch is one contiguous row of N*H*W floats. A dense block is then one buffer whose first rows
 * are the block input and whose later rows each layer appends, so concatenation is free, a 1x1
 * convolution is one GEMM over the first rows, and batch-norm statistics read one row per channel
 * (DESIGN.md, "Memory layout"). Weights keep PyTorch's layout: conv [Cout][Cin][kh][kw], linear [out][in].
 * Vectors that are not feature maps (classifier input/output) are row-major [N][features].
 *
 * Contract for every op:
 * - arguments are Float32Array views (subarrays are fine: a channel slice of a block buffer is a view);
 * - outputs are written into caller-provided arrays; ops never allocate outputs and never keep references;
 * - the TypeScript glue of a fast backend validates every length against the geometry before C sees it;
 * - an output may alias an input only where the op says so.
 */

export type BackendName = 'reference' | 'native' | 'wasm';

/** A 2-D convolution, groups = 1, dilation = 1 (all DenseNet and ResNet need). */
export interface ConvGeometry {
  /** batch */
  n: number;
  /** input [cin][n][h][w] */
  cin: number;
  h: number;
  w: number;
  /** weight [cout][cin][kh][kw] */
  cout: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  /** output [cout][n][ho][wo], ho = floor((h + 2*pad - kh) / stride) + 1, likewise wo */
  ho: number;
  wo: number;
  /**
   * Forward only: the backend may compute a 3x3 stride-1 convolution by Winograd F(4x4,3x3) where that is faster
   * (native and wasm). It adds rounding of ~1e-5 of the output's scale (10-20x the direct convolution's), so the
   * model asks for it in eval mode only; training stays on the direct path and matches PyTorch within 1e-4.
   */
  winograd?: boolean;
}

/** Max or average pooling over a square window; input [c][n][h][w] -> output [c][n][ho][wo]. */
export interface PoolGeometry {
  c: number;
  n: number;
  h: number;
  w: number;
  k: number;
  stride: number;
  pad: number;
  ho: number;
  wo: number;
}

export type F32 = Float32Array;

/**
 * A per-input-channel transform a convolution applies to its input as it reads it:
 *   x'[ci][i] = x[ci][i] * scale[ci] + shift[ci], then max(0, .) when relu
 * (exactly scaleShift's output), with zero padding applied to x' (the padded cells are 0 AFTER the
 * transform). This is the BN-ReLU in front of a DenseNet convolution fused into it, so the normalised copy
 * of all preceding features is never materialised (DESIGN.md, "Memory layout"). scale, shift: [cin].
 * Pooling takes the same transform (scale, shift: [c]); its padded cells follow the pooling's own rule on x'.
 */
export interface ConvPre {
  scale: F32;
  shift: F32;
  relu: boolean;
}

export interface Backend {
  readonly name: BackendName;
  /** Worker threads this backend uses for large ops (1 = single-threaded). */
  readonly threads: number;

  /**
   * General matrix multiply, row-major: c[m][n] = op(a) · op(b) + beta * c[m][n], beta in {0, 1}.
   * op(a) is [m][k]: a is stored [m][k], or [k][m] when transA. op(b) is [k][n]: b is stored [k][n], or [n][k]
   * when transB. Leading dimensions are the stored row lengths (dense). c must not alias a or b.
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: F32, b: F32, beta: 0 | 1, c: F32): void;

  /**
   * y[cout][n][ho][wo] = sum_{ci,i,j} w[co][ci][i][j] * x[ci][n][ho*s - p + i][wo*s - p + j] (+ bias[co]);
   * zero padding. bias may be null. y must not alias x.
   * With `pre` (ConvPre) the convolution reads x' = pre(x) instead of x, and pads x' with zeros.
   */
  conv2d(g: ConvGeometry, x: F32, w: F32, bias: F32 | null, y: F32, pre?: ConvPre | null): void;

  /**
   * Per-channel affine, optionally followed by ReLU: y[c][i] = max(0, x[c][i] * scale[c] + shift[c]).
   * x, y: [c][s]. This is inference batch norm (scale = gamma / sqrt(var + eps), shift = beta - mean * scale)
   * fused with the ReLU that follows it in every DenseNet layer. y may alias x.
   */
  scaleShift(c: number, s: number, x: F32, scale: F32, shift: F32, relu: boolean, y: F32): void;

  /** Per-channel mean and biased variance over each row of x [c][s] (training batch-norm statistics). */
  channelStats(c: number, s: number, x: F32, mean: F32, variance: F32): void;

  /** y = max(0, x) elementwise over the first `size` elements; y may alias x. */
  relu(size: number, x: F32, y: F32): void;

  /**
   * Max pooling; padding never wins (PyTorch: padded cells are -inf); NaN propagates. With `pre` it pools
   * x' = pre(x) (ConvPre over g.c channels: a BN-ReLU fused into the pooling), padded cells still never win.
   */
  maxPool2d(g: PoolGeometry, x: F32, y: F32, pre?: ConvPre | null): void;

  /**
   * Average pooling, padded cells count in the divisor (PyTorch's count_include_pad=True default). With `pre`
   * it pools x' = pre(x); padded cells are zeros of x' (a DenseNet transition's BN-ReLU-pool in one pass).
   */
  avgPool2d(g: PoolGeometry, x: F32, y: F32, pre?: ConvPre | null): void;

  /** Global average pooling from a feature map x [c][n][hw] to row-major y [n][c]. */
  globalAvgPool(c: number, n: number, hw: number, x: F32, y: F32): void;

  /** Fully connected: y[n][out] = x[n][in] · w[out][in]^T + b[out]; b may be null. */
  linear(n: number, inFeatures: number, outFeatures: number, x: F32, w: F32, b: F32 | null, y: F32): void;

  /** Row-wise softmax of x [n][k] (max-subtracted); y may alias x. */
  softmax(n: number, k: number, x: F32, y: F32): void;

  /**
   * Inverted dropout with a given keep-mask: y[i] = keep[i] ? x[i] / (1 - p) : 0. The mask comes from the
   * caller's seeded RNG so every backend drops the same units. y may alias x.
   */
  dropout(size: number, x: F32, keep: Uint8Array, p: number, y: F32): void;

  /** Backward passes (training). A backend without them can run inference only. */
  readonly backward?: BackwardOps;

  /**
   * Optional: a zeroed buffer of `floats` that this backend's forward ops read and write in place, without
   * copying (the threaded wasm module: a block of its shared linear memory), or null when it has none to give.
   * Any backend accepts it as an ordinary array. Eval-mode workspaces ask for it (models/classifier-base.ts).
   */
  alloc?(floats: number): Float32Array | null;
}

/**
 * Gradients. Every `d*` output is overwritten unless the op says it accumulates (dense-block inputs receive
 * gradient from every later layer, so input gradients of convolutions accumulate: dx += ...).
 */
export interface BackwardOps {
  /**
   * Convolution backward. dy: [cout][n][ho][wo]. Any of dx, dw, db may be null (not wanted).
   * dx [cin][n][h][w] is ACCUMULATED (dx += conv_transpose(dy, w)); dw [cout][cin][kh][kw] and db [cout]
   * are overwritten. With `pre` (the forward's input transform), dw is computed from x' = pre(x) and dx is
   * the gradient w.r.t. x' (unchanged: the caller runs the transform's own backward, e.g. batch norm's).
   * With `overwriteDx` dx is overwritten instead (dx = conv_transpose(dy, w)): no zero-fill for a fresh buffer.
   */
  conv2d(g: ConvGeometry, x: F32, w: F32, dy: F32, dx: F32 | null, dw: F32 | null, db: F32 | null, pre?: ConvPre | null,
    overwriteDx?: boolean): void;

  /**
   * Training batch norm + optional ReLU, backward. Forward was
   *   xhat = (x - mean) * invStd;  z = gamma * xhat + beta;  y = relu ? max(0, z) : z
   * with batch statistics (mean, invStd = 1/sqrt(biasedVar + eps)) over each row of x [c][s].
   * Given dy [c][s], writes dgamma[c], dbeta[c] (overwritten) and ACCUMULATES dx += dL/dx, or with
   * `overwriteDx` writes dx = dL/dx (no zero-fill for a fresh buffer). The ReLU mask is recomputed from x, so
   * y need not be stored.
   */
  batchNorm(
    c: number, s: number, x: F32, mean: F32, invStd: F32, gamma: F32, beta: F32, relu: boolean,
    dy: F32, dx: F32, dgamma: F32, dbeta: F32, overwriteDx?: boolean,
  ): void;

  /** dx = dy where y > 0 else 0 (y is the ReLU output); dx may alias dy. */
  relu(size: number, y: F32, dy: F32, dx: F32): void;

  /**
   * Optional fusion (a DenseNet layer's norm1 -> relu1 -> conv1x1 backward): the 1x1 stride-1 convolution's input
   * gradient g = w^T . dy (w [cout][c], dy [cout][s]) taken straight into the training batch norm (+ReLU) backward
   * of `batchNorm` above with g as its dy, so g never exists in memory. Writes dgamma, dbeta (overwritten) and
   * ACCUMULATES only the per-element part of dL/dx, dx += gamma * invStd * dz; the per-channel rest,
   * -k*dbeta - k*dgamma*xhat (k = gamma*invStd/s), is deferred: deferredP[c] += -k*dbeta,
   * deferredQ[c] += -k*dgamma*invStd, for `batchNormDeferredAdd` to apply once for every layer that read channel c
   * (they share its batch mean). batchNorm backward = this, then batchNormDeferredAdd on the same P, Q (from zero).
   * With `dw` [cout][c], also the convolution's weight gradient from the same reads of x: dw = dy . x'^T
   * (overwritten), x' = pre(x) (ConvPre: the BN-ReLU's forward transform), or x itself when pre is null.
   */
  conv1x1BatchNorm?(
    c: number, s: number, cout: number, w: F32, dy: F32, x: F32, mean: F32, invStd: F32, gamma: F32, beta: F32,
    relu: boolean, dx: F32, dgamma: F32, dbeta: F32, deferredP: F32, deferredQ: F32, dw?: F32 | null, pre?: ConvPre | null,
  ): void;

  /** The deferred batch-norm terms: dx[c][i] += p[c] + q[c] * (x[c][i] - mean[c]), x, dx [c][s]. Present with conv1x1BatchNorm. */
  batchNormDeferredAdd?(c: number, s: number, x: F32, mean: F32, p: F32, q: F32, dx: F32): void;

  /** Max pooling backward: routes dy to the arg-max of each window (first max wins); dx overwritten. */
  maxPool2d(g: PoolGeometry, x: F32, dy: F32, dx: F32): void;

  /** Average pooling backward (count_include_pad=True); dx overwritten. */
  avgPool2d(g: PoolGeometry, dy: F32, dx: F32): void;

  /** Global average pooling backward: dy [n][c] -> dx [c][n][hw], overwritten. */
  globalAvgPool(c: number, n: number, hw: number, dy: F32, dx: F32): void;

  /**
   * Linear backward: dy [n][out]. dx [n][in] overwritten (may be null), dw [out][in] and db [out] overwritten.
   */
  linear(n: number, inFeatures: number, outFeatures: number, x: F32, w: F32, dy: F32,
    dx: F32 | null, dw: F32, db: F32 | null): void;

  /**
   * Mean softmax cross-entropy over the batch of logits [n][k] with integer labels; returns the loss and
   * writes dlogits [n][k] = (softmax - onehot) / n.
   */
  softmaxCrossEntropy(n: number, k: number, logits: F32, labels: Int32Array, dlogits: F32): number;
}

/** Output size of a convolution or pooling window along one axis. */
export function outSize(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

export function convGeometry(
  n: number, cin: number, h: number, w: number, cout: number, k: number, stride: number, pad: number,
): ConvGeometry {
  return { n, cin, h, w, cout, kh: k, kw: k, stride, pad, ho: outSize(h, k, stride, pad), wo: outSize(w, k, stride, pad) };
}

export function poolGeometry(c: number, n: number, h: number, w: number, k: number, stride: number, pad: number): PoolGeometry {
  return { c, n, h, w, k, stride, pad, ho: outSize(h, k, stride, pad), wo: outSize(w, k, stride, pad) };
}
