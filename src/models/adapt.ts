/**
 * Fitting pretrained weights to a model for another task (fine-tuning): the head is replaced when the number of
 * classes differs, and the first convolution is adapted when the number of input channels differs, following
 * timm's adapt_input_conv (timm/models/_manipulate.py): for 1 channel the filters are summed over the source
 * channels; for C channels the source filters are repeated cyclically, cut to C, and scaled by I/C (I = source
 * channels, 3 for RGB weights, so 3/C as timm), so that a grey image (one value in every channel) gets the
 * source filters' response when C is a multiple of I (approximately otherwise). timm handles only 3-channel
 * sources for C > 1; this does any I. Not a loader: the caller loads the returned state strictly, so anything
 * else that does not fit is still an error naming the keys.
 */
import type { Parameter } from '../nn/parameter.js';
import { Tensor } from '../tensor/tensor.js';

/** What a model must show for this: its parameters in state_dict order, its state and its class count. */
export interface Adaptable {
  readonly numClasses: number;
  readonly inChannels: number;
  namedParameters(): [string, Parameter][];
  namedState(): [string, Tensor][];
}

export interface AdaptReport {
  /** the head was replaced by the model's own (freshly initialised) one: classes before -> after */
  classifier: { name: string; from: number; to: number } | null;
  /** the first convolution's weights were adapted: channels before -> after */
  inputConv: { name: string; from: number; to: number } | null;
}

/**
 * The parameters of the model's head: the module of its last parameter (`classifier.*` in DenseNet, `fc.*` in
 * ResNet), which is the linear layer after global pooling in both families.
 */
export function headParameterNames(model: Adaptable): string[] {
  const params = model.namedParameters();
  const last = params[params.length - 1][0];
  const prefix = last.slice(0, last.lastIndexOf('.') + 1);
  return params.map(([n]) => n).filter((n) => n.startsWith(prefix) && !n.slice(prefix.length).includes('.'));
}

/** The first convolution's weight: the first 4-D parameter in state_dict order (`features.conv0.weight`, `conv1.weight`). */
export function inputConvName(model: Adaptable): string {
  const p = model.namedParameters().find(([, t]) => t.rank === 4);
  if (p === undefined) throw new Error('adapt: the model has no convolution');
  return p[0];
}

/**
 * Conv weight [O, I, kh, kw] -> [O, C, kh, kw] for C input channels (timm's adapt_input_conv, generalised to any
 * I): C = 1 sums over I; otherwise channel c takes source channel c mod I, scaled by I / C.
 */
export function adaptInputConv(w: Tensor, channels: number): Tensor {
  if (w.rank !== 4) throw new Error(`adaptInputConv: weight must be [O, I, kh, kw], got [${w.shape.join(', ')}]`);
  if (!(Number.isInteger(channels) && channels > 0)) throw new Error(`adaptInputConv: channels must be a positive integer, got ${channels}`);
  const [o, i, kh, kw] = w.shape;
  const plane = kh * kw;
  const out = new Float32Array(o * channels * plane);
  for (let f = 0; f < o; f++) {
    for (let c = 0; c < channels; c++) {
      const dst = out.subarray((f * channels + c) * plane, (f * channels + c + 1) * plane);
      if (channels === 1) {
        for (let s = 0; s < i; s++) {
          const src = w.data.subarray((f * i + s) * plane, (f * i + s + 1) * plane);
          for (let p = 0; p < plane; p++) dst[p] += src[p];
        }
      } else {
        const s = c % i;
        const src = w.data.subarray((f * i + s) * plane, (f * i + s + 1) * plane);
        for (let p = 0; p < plane; p++) dst[p] = src[p] * (i / channels);
      }
    }
  }
  return new Tensor(out, [o, channels, kh, kw]);
}

/**
 * `source` (a state_dict for the same architecture, possibly with other classes or input channels) made to fit
 * `target`: the head's tensors are the target's own when the class counts differ, the first convolution is
 * adapted when the channel counts differ; every other tensor is passed through unchanged.
 */
export function adaptStateDict(source: ReadonlyMap<string, Tensor>, target: Adaptable): { state: Map<string, Tensor>; report: AdaptReport } {
  const own = new Map(target.namedState());
  const state = new Map(source);
  const report: AdaptReport = { classifier: null, inputConv: null };

  const head = headParameterNames(target);
  const headWeight = head.find((n) => own.get(n)!.rank === 2);
  const srcHead = headWeight !== undefined ? source.get(headWeight) : undefined;
  if (headWeight !== undefined && srcHead !== undefined && srcHead.rank === 2 && srcHead.shape[0] !== target.numClasses) {
    for (const n of head) state.set(n, own.get(n)!);
    report.classifier = { name: headWeight.slice(0, headWeight.lastIndexOf('.')), from: srcHead.shape[0], to: target.numClasses };
  }

  const conv = inputConvName(target);
  const srcConv = source.get(conv);
  if (srcConv !== undefined && srcConv.rank === 4 && srcConv.shape[1] !== target.inChannels) {
    state.set(conv, adaptInputConv(srcConv, target.inChannels));
    report.inputConv = { name: conv.slice(0, conv.lastIndexOf('.')), from: srcConv.shape[1], to: target.inChannels };
  }
  return { state, report };
}
