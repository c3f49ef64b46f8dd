/**
 * What DenseNet and the ResNet baseline share: a convolutional body, then global average pooling and a linear
 * head; NCHW at the API and channel-major inside; one Workspace of reused buffers; the training step (forward,
 * softmax cross-entropy, backward through head and body), and the eval-mode gradient of a class score w.r.t. a
 * feature map (scoreGrad, for explanations). Subclasses define the body and its backward only.
 */
import type { Backend } from '../backend/backend.js';
import { dryRunBackend } from '../backend/dry-run.js';
import { backwardOps, featureMap, Workspace, type Context, type FeatureMap, type Tracer } from '../nn/context.js';
import type { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { cnhwToNchw, nchwToCnhw, nchwToCnhwInto } from '../tensor/layout.js';
import type { Rng } from '../tensor/rng.js';
import { Tensor, type Shape } from '../tensor/tensor.js';
import type { ImageClassifier } from './classifier.js';

export interface ForwardHooks {
  trace?: Tracer;
  tap?: (path: string, x: FeatureMap) => void;
}

export interface TrainOptions {
  /** Recompute BN-ReLU outputs in backward instead of storing them (default true; same numbers). */
  memoryEfficient?: boolean;
  /** Also return the gradient of the loss with respect to the input, NCHW. */
  inputGrad?: boolean;
  /**
   * Fine-tuning with a frozen backbone (`--freeze features`): the body runs forward as in eval mode (batch-norm
   * uses and keeps its running statistics, no dropout, nothing stored for backward) and has no backward at all;
   * only the head's gradients are computed (the body's `param.grad` are left as they were).
   */
  frozenBody?: boolean;
}

export interface StepResult {
  /** mean cross-entropy over the batch */
  loss: number;
  logits: Tensor;
  /** samples whose arg-max logit is the label */
  correct: number;
  inputGrad?: Tensor;
}

/** Class scores' gradient w.r.t. a feature map, from one eval-mode forward (ConvClassifier.scoreGrad). */
export interface ScoreGrad {
  /** [N, numClasses] */
  logits: Tensor;
  /** the feature map A: [N, C, h, w] */
  activation: Tensor;
  /** d logits[i][classes[i]] / d A: [N, C, h, w] */
  grad: Tensor;
}

export abstract class ConvClassifier extends Module implements ImageClassifier {
  abstract readonly family: string;
  abstract readonly rng: Rng;
  protected ws = new Workspace();

  abstract get modelConfig(): Readonly<Record<string, unknown>>;
  abstract get numClasses(): number;
  abstract get inChannels(): number;
  abstract get defaultInput(): [number, number, number];
  abstract checkInput(shape: Shape): [number, number, number, number];

  /** The linear classifier after global average pooling (`classifier` in DenseNet, `fc` in ResNet). */
  protected abstract get head(): Linear;
  /** Name of the pooling step in traces (`features.pool`, `avgpool`). */
  protected abstract readonly poolName: string;

  /** x [C][N][H][W] -> the activated features the head pools: [C'][N][H'][W']. */
  protected abstract body(ctx: Context, x: FeatureMap): FeatureMap;

  /**
   * Backward of the last training forward through the body, from the gradient of its output `dFeatures`;
   * `dx` (the input gradient) is accumulated when given.
   */
  protected abstract bodyBackward(ctx: Context, x: FeatureMap, dFeatures: FeatureMap, dx: FeatureMap | null): void;

  /** x: [N, C, H, W] -> logits [N, numClasses], in the current mode (eval: running statistics). */
  forward(x: Tensor, backend: Backend, hooks: ForwardHooks = {}): Tensor {
    const input = this.input(x);
    const logits = new Float32Array(input.n * this.numClasses);
    this.forwardCNHW(this.context(backend, true, hooks), input, logits);
    return new Tensor(logits, [input.n, this.numClasses]);
  }

  /**
   * x: [C][N][H][W] (channel-major) -> logits [N][numClasses] written into `out`; returns the features.
   * `bodyCtx` runs the body (a frozen body: the eval-mode context while the head trains).
   */
  forwardCNHW(ctx: Context, x: FeatureMap, out: Float32Array, bodyCtx: Context = ctx): FeatureMap {
    const f = this.body(bodyCtx, x);
    const pooled = ctx.ws.get('pooled', f.n * f.c);
    ctx.backend.globalAvgPool(f.c, f.n, f.h * f.w, f.data, pooled);
    ctx.trace?.({ path: this.poolName, kind: 'GlobalAvgPool', out: [f.n, f.c, 1, 1], macs: 0 });
    ctx.tap?.(this.poolName, featureMap(nchwToCnhw(pooled, f.n, f.c, 1, 1), f.c, f.n, 1, 1)); // pooled [N][C] as [C][N][1][1]
    this.head.forward(ctx, f.n, pooled, out);
    return f;
  }

  /**
   * One training step's forward and backward: mean cross-entropy of the logits against `labels`, and every
   * parameter's gradient (in `param.grad`, overwritten; the head's only with `frozenBody`). The model must be in
   * training mode.
   */
  lossAndGrad(x: Tensor, labels: Int32Array, backend: Backend, opts: TrainOptions = {}): StepResult {
    if (!this.training) throw new Error('lossAndGrad: the model is in eval mode; call model.train() first');
    const input = this.input(x);
    const { n } = input;
    const k = this.numClasses;
    if (labels.length !== n) throw new Error(`lossAndGrad: ${labels.length} labels for a batch of ${n}`);
    if (opts.frozenBody && opts.inputGrad) throw new Error('lossAndGrad: no input gradient with a frozen body (the body has no backward)');
    const ctx = this.context(backend, opts.memoryEfficient ?? true, {});
    const ops = backwardOps(ctx);
    const logits = new Float32Array(n * k);
    const f = this.forwardCNHW(ctx, input, logits, opts.frozenBody ? { ...ctx, training: false } : ctx);

    const dLogits = this.ws.get('grad.logits', n * k);
    const loss = ops.softmaxCrossEntropy(n, k, logits, labels, dLogits);
    const dPooled = this.ws.get('grad.pooled', n * f.c);
    this.head.backward(ctx, n, this.ws.get('pooled', n * f.c), dLogits, opts.frozenBody ? null : dPooled);
    if (opts.frozenBody) return { loss, logits: new Tensor(logits, [n, k]), correct: countCorrect(logits, labels, k) };
    const dFeat = featureMap(this.ws.get('grad.features', f.data.length), f.c, n, f.h, f.w);
    ops.globalAvgPool(f.c, n, f.h * f.w, dPooled, dFeat.data);
    const dx = opts.inputGrad ? { ...input, data: new Float32Array(input.data.length) } : null;
    this.bodyBackward(ctx, input, dFeat, dx);

    const result: StepResult = { loss, logits: new Tensor(logits, [n, k]), correct: countCorrect(logits, labels, k) };
    if (dx !== null) result.inputGrad = new Tensor(cnhwToNchw(dx.data, n, input.c, input.h, input.w), x.shape);
    return result;
  }

  /**
   * Eval mode: the gradient of one class score per sample, logits[i][classes[i]], w.r.t. the feature map that
   * `explainBackward` names (DenseNet: the last dense block's output), through the existing backward ops: the
   * head's linear backward (its weight gradient into scratch: parameter gradients stay untouched), the global
   * average pooling's, then the body's last steps. Grad-CAM (src/vision/gradcam.ts) weighs the map with it.
   */
  scoreGrad(x: Tensor, classes: Int32Array, backend: Backend): ScoreGrad {
    if (this.training) throw new Error('scoreGrad: the model is in training mode; call model.eval() first (running statistics)');
    const input = this.input(x);
    const { n } = input;
    const k = this.numClasses;
    if (classes.length !== n) throw new Error(`scoreGrad: ${classes.length} class indices for a batch of ${n}`);
    for (const c of classes) if (!(c >= 0 && c < k)) throw new Error(`scoreGrad: class ${c} is out of range (0..${k - 1})`);
    const ctx = this.context(backend, true, {});
    const logits = new Float32Array(n * k);
    const f = this.forwardCNHW(ctx, input, logits);

    const dLogits = this.ws.zeros('grad.logits', n * k);
    for (let i = 0; i < n; i++) dLogits[i * k + classes[i]] = 1;
    const dPooled = this.ws.get('grad.pooled', n * f.c);
    this.head.backward(ctx, n, this.ws.get('pooled', n * f.c), dLogits, dPooled, this.ws.get('grad.head.scratch', k * f.c), null);
    const dFeat = featureMap(this.ws.get('grad.features', f.data.length), f.c, n, f.h, f.w);
    backwardOps(ctx).globalAvgPool(f.c, n, f.h * f.w, dPooled, dFeat.data);
    const { map, grad } = this.explainBackward(ctx, f, dFeat);
    const nchw = (m: FeatureMap): Tensor => new Tensor(cnhwToNchw(m.data, m.n, m.c, m.h, m.w), [m.n, m.c, m.h, m.w]);
    return { logits: new Tensor(logits, [n, k]), activation: nchw(map), grad: nchw(grad) };
  }

  /**
   * Eval mode, right after scoreGrad's forward: from the body output `f` and its gradient `df`, the feature map
   * scoreGrad explains and its gradient. By default the body output itself.
   */
  protected explainBackward(_ctx: Context, f: FeatureMap, df: FeatureMap): { map: FeatureMap; grad: FeatureMap } {
    return { map: f, grad: df };
  }

  /**
   * Eval mode: allocates the workspace a forward of `shape` ([N, C, H, W]) will use, as that forward asks for it
   * (a dry run: no arithmetic), and writes every page of it once, so the first real forward pays no page faults for
   * it (DenseNet-121 at batch 8: ~100 MB of fresh pages, ~30 ms). For a process with time to spare before its first
   * batch: `densenet infer` while its images decode.
   */
  reserveWorkspace(shape: Shape, backend: Backend): void {
    if (this.training) throw new Error('reserveWorkspace: eval mode only (a dry training forward would move the running statistics)');
    const [n, c, h, w] = this.checkInput(shape);
    const ctx: Context = { ...this.context(backend, true, {}), backend: dryRunBackend }; // the backend's allocator, no ops
    this.forwardCNHW(ctx, featureMap(this.ws.get('input', n * c * h * w), c, n, h, w), new Float32Array(n * this.numClasses));
    this.ws.touch();
  }

  /** Runs on `ws` from now on (a measuring workspace for memory planning). */
  useWorkspace(ws: Workspace): void {
    this.ws = ws;
  }

  /** Bytes the engine holds for intermediate feature maps and gradients (grown once, then reused). */
  workspaceBytes(): number {
    return 4 * this.ws.floats();
  }

  /** Releases the workspace (it regrows on the next forward). */
  releaseWorkspace(): void {
    this.ws.clear();
  }

  private input(x: Tensor): FeatureMap {
    const [n, c, h, w] = this.checkInput(x.shape);
    const data = nchwToCnhwInto(x.data, n, c, h, w, this.ws.get('input', n * c * h * w));
    return featureMap(data, c, n, h, w);
  }

  private context(backend: Backend, memoryEfficient: boolean, hooks: ForwardHooks): Context {
    // eval: new feature-map slots where the backend's ops read them without copies (the threaded wasm module's
    // shared memory; module.ts WasmMemory.alloc); training keeps its (much larger) buffers on the JS heap
    const alloc = backend.alloc;
    this.ws.allocator = !this.training && alloc !== undefined ? (n) => alloc.call(backend, n) : null;
    return { backend, training: this.training, memoryEfficient, ws: this.ws, rng: this.rng, ...hooks };
  }
}

/** Samples whose arg-max logit (first on ties) equals the label. logits: [n][k]. */
export function countCorrect(logits: Float32Array, labels: Int32Array, k: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
    if (best === labels[i]) correct++;
  }
  return correct;
}
