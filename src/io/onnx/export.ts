/**
 * ONNX export of a classifier (DenseNet, or a ResNet baseline) for serving elsewhere (ONNX Runtime, Triton):
 * input `input` [N, C, H, W] float32, output `logits` [N, classes]; N is 1, or the symbolic `batch` with
 * `dynamicBatch`. Weights are float32 initializers (raw_data, little-endian) under the state_dict names. The
 * model's metadata_props carry what a server needs to feed it: `classNames` (JSON array), `preprocessing`
 * (JSON: resize rule, input size, mean, std), `arch`, `family`, `config` (JSON). Opsets 13 to 21 (every
 * operator used keeps its meaning across them); the IR version is the one released with that opset
 * (ONNX docs/Versioning.md). Not: training graphs, external data (files over 2 GB), other dtypes.
 */
import type { ImageClassifier } from '../../models/classifier.js';
import { DenseNet } from '../../models/densenet.js';
import { ResNet } from '../../models/resnet.js';
import type { PreprocessSpec } from '../../vision/preprocess-spec.js';
import { denseNetGraph } from './densenet-graph.js';
import { GraphBuilder } from './graph-builder.js';
import { resNetGraph } from './resnet-graph.js';
import { DataType, encodeModel, type Dim, type ValueInfo } from './schema.js';

export const PRODUCER_NAME = 'densenet-ts';
export const DEFAULT_OPSET = 17;
export const MIN_OPSET = 13;
export const MAX_OPSET = 21;

export interface OnnxExportOptions {
  /** ai.onnx opset version, MIN_OPSET..MAX_OPSET (default 17) */
  opset?: number;
  /** symbolic batch dimension `batch` on input and output (default: batch 1) */
  dynamicBatch?: boolean;
  /** [H, W] of the input (default: the preprocessing's input size) */
  inputSize?: [number, number];
  /** what the model's metadata says about its use */
  arch: string | null;
  classNames: string[];
  preprocessing: PreprocessSpec;
  /** producer_version (the package version) */
  producerVersion: string;
}

export interface OnnxExport {
  bytes: Uint8Array;
  opset: number;
  nodeCount: number;
  /** [N or 'batch', C, H, W] */
  inputShape: (number | string)[];
}

/** The IR version ONNX released with each opset (13-14: IR 7, 15-18: IR 8, 19-20: IR 9, 21: IR 10). */
export function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

export function checkOpset(opset: number): number {
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new Error(`onnx export: opset ${opset} is not supported (use ${MIN_OPSET}..${MAX_OPSET}; default ${DEFAULT_OPSET})`);
  }
  return opset;
}

/** Serialises `model` (its current weights and running statistics) as an ONNX model. */
export function exportOnnx(model: ImageClassifier, o: OnnxExportOptions): OnnxExport {
  const opset = checkOpset(o.opset ?? DEFAULT_OPSET);
  const [c] = model.defaultInput;
  const [h, w] = o.inputSize ?? [o.preprocessing.inputSize[1], o.preprocessing.inputSize[2]];
  model.checkInput([1, c, h, w]);
  if (o.classNames.length !== model.numClasses) {
    throw new Error(`onnx export: ${o.classNames.length} class names for a model with ${model.numClasses} classes`);
  }

  const g = new GraphBuilder();
  if (model instanceof DenseNet) denseNetGraph(g, model, 'input', 'logits');
  else if (model instanceof ResNet) resNetGraph(g, model, 'input', 'logits');
  else throw new Error(`onnx export: no exporter for model family '${model.family}'`);

  const batch: Dim = o.dynamicBatch ? { dimParam: 'batch' } : { dimValue: 1 };
  const value = (name: string, dims: Dim[]): ValueInfo => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims } } } });
  const preprocessing = resized(o.preprocessing, c, h, w);
  const bytes = encodeModel({
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: PRODUCER_NAME,
    producerVersion: o.producerVersion,
    docString: `${o.arch ?? model.family}: input [N, ${c}, ${h}, ${w}] normalised as in metadata 'preprocessing', output logits [N, ${model.numClasses}]`,
    graph: {
      name: o.arch ?? model.family,
      node: g.nodes,
      initializer: g.initializers,
      input: [value('input', [batch, { dimValue: c }, { dimValue: h }, { dimValue: w }])],
      output: [value('logits', [batch, { dimValue: model.numClasses }])],
    },
    metadataProps: [
      { key: 'classNames', value: JSON.stringify(o.classNames) },
      { key: 'preprocessing', value: JSON.stringify(preprocessing) },
      { key: 'arch', value: o.arch ?? '' },
      { key: 'family', value: model.family },
      { key: 'config', value: JSON.stringify(model.modelConfig) },
    ],
  });
  return { bytes, opset, nodeCount: g.nodes.length, inputShape: [o.dynamicBatch ? 'batch' : 1, c, h, w] };
}

/**
 * The preprocessing for an export at h x w: the input size changes; a short-side resize keeps its ratio to the
 * crop (torchvision's 256 for 224 becomes 320 for 280), so a server resizes as the model was trained to see.
 */
function resized(p: PreprocessSpec, c: number, h: number, w: number): PreprocessSpec {
  const [, h0, w0] = p.inputSize;
  if (h === h0 && w === w0) return { ...p, inputSize: [c, h, w] };
  const resize = p.resize.mode === 'short-side'
    ? { mode: 'short-side' as const, shortSide: Math.round((p.resize.shortSide * Math.min(h, w)) / Math.min(h0, w0)) }
    : p.resize;
  return { ...p, resize, inputSize: [c, h, w] };
}
