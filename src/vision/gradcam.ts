/**
 * Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization",
 * ICCV 2017, Eq. 1-2): for class c and feature maps A^k of the last dense block (torchvision's
 * features.denseblockN, before norm5),
 *   alpha_k = mean over (i, j) of d y^c / d A^k_ij,     cam = ReLU(sum_k alpha_k A^k),
 * where y^c is the class score (the logit, before softmax). The gradient comes from the model's own backward
 * ops in eval mode (DenseNet.scoreGrad), not from a second autograd. The map is normalised to [0, 1] by its
 * maximum (all zeros when nothing is positive) and upsampled bilinearly to the input size. Not here: the
 * colour overlay (colormap.ts) and image files (cli/gradcam.ts).
 */
import type { Backend } from '../backend/backend.js';
import type { DenseNet } from '../models/densenet.js';
import { shapeStr, type Tensor } from '../tensor/tensor.js';

export interface GradCamOptions {
  /** the class to explain (default: the arg-max class) */
  classIndex?: number;
}

export interface GradCamResult {
  classIndex: number;
  /** the class's logit */
  score: number;
  /** its softmax probability */
  prob: number;
  /** the map at the feature resolution, [h * w] row-major, in [0, 1] */
  heat: Float32Array;
  h: number;
  w: number;
  /** the map upsampled bilinearly to the input, [height * width] row-major, in [0, 1] */
  upsampled: Float32Array;
  height: number;
  width: number;
}

/** x: one image [1, C, H, W], preprocessed as the model expects. The model must be in eval mode. */
export function gradCam(model: DenseNet, x: Tensor, backend: Backend, opts: GradCamOptions = {}): GradCamResult {
  if (x.shape.length !== 4 || x.shape[0] !== 1) throw new Error(`gradCam: expects one image [1, C, H, W], got ${shapeStr(x.shape)}`);
  if (model.training) throw new Error('gradCam: the model is in training mode; call model.eval() first');
  const k = model.numClasses;
  let c = opts.classIndex;
  if (c !== undefined && !(Number.isInteger(c) && c >= 0 && c < k)) {
    throw new Error(`gradCam: class ${c} is out of range: the model has ${k} classes (0..${k - 1})`);
  }
  if (c === undefined) c = argMax(model.forward(x, backend).data);
  const { logits, activation, grad } = model.scoreGrad(x, Int32Array.of(c), backend);
  const [, channels, h, w] = activation.shape;
  const hw = h * w;

  // alpha [C] = spatial mean of the gradient (global average pooling of [C][1][hw]); cam [hw] = ReLU(alpha · A)
  const alpha = new Float32Array(channels);
  backend.globalAvgPool(channels, 1, hw, grad.data, alpha);
  const heat = new Float32Array(hw);
  backend.gemm(false, false, 1, hw, channels, alpha, activation.data, 0, heat);
  backend.relu(hw, heat, heat);
  let max = 0;
  for (const v of heat) max = Math.max(max, v);
  if (max > 0) for (let i = 0; i < hw; i++) heat[i] /= max;

  const probs = new Float32Array(k);
  backend.softmax(1, k, logits.data, probs);
  const [height, width] = x.shape.slice(2);
  return { classIndex: c, score: logits.data[c], prob: probs[c], heat, h, w, upsampled: bilinear(heat, h, w, height, width), height, width };
}

/**
 * Bilinear resize of a [h][w] map to [H][W] with half-pixel centres (PyTorch's interpolate align_corners=False,
 * OpenCV's resize): output pixel y samples source row (y + 0.5) * h / H - 0.5, clamped to the edge.
 */
export function bilinear(src: Float32Array, h: number, w: number, H: number, W: number): Float32Array {
  const out = new Float32Array(H * W);
  const axis = (size: number, from: number): { i0: Int32Array; i1: Int32Array; t: Float32Array } => {
    const i0 = new Int32Array(size);
    const i1 = new Int32Array(size);
    const t = new Float32Array(size);
    for (let o = 0; o < size; o++) {
      const s = Math.min(Math.max((o + 0.5) * (from / size) - 0.5, 0), from - 1);
      i0[o] = Math.floor(s);
      i1[o] = Math.min(i0[o] + 1, from - 1);
      t[o] = s - i0[o];
    }
    return { i0, i1, t };
  };
  const ys = axis(H, h);
  const xs = axis(W, w);
  for (let y = 0; y < H; y++) {
    const r0 = ys.i0[y] * w;
    const r1 = ys.i1[y] * w;
    const ty = ys.t[y];
    for (let x = 0; x < W; x++) {
      const a = src[r0 + xs.i0[x]] + (src[r0 + xs.i1[x]] - src[r0 + xs.i0[x]]) * xs.t[x];
      const b = src[r1 + xs.i0[x]] + (src[r1 + xs.i1[x]] - src[r1 + xs.i0[x]]) * xs.t[x];
      out[y * W + x] = a + (b - a) * ty;
    }
  }
  return out;
}

function argMax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}
