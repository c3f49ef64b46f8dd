/**
 * densenet-ts in a browser (package.json `exports` condition `browser`; bundlers pick it): the same models, nn
 * and backend code as in Node, with nothing that imports a Node built-in. Weights come from a safetensors
 * ArrayBuffer or a fetched URL; the backend is the wasm build of the same C kernels (select-browser.ts).
 * Not here: files, the native addon, data loaders, training loops with checkpoints (Node's index.ts).
 */
import { readSafetensors } from './io/safetensors.js';
import { normalizeStateDict } from './io/keys.js';
import type { ImageClassifier } from './models/classifier.js';

export { Tensor, shapeSize, type Shape } from './tensor/tensor.js';
export type { Backend, BackendName } from './backend/backend.js';
export { getBackend, defaultWasmUrl, type BrowserBackendOptions } from './backend/select-browser.js';
export { createWasmBackend, relaxedSimdSupported, type WasmBackend, type WasmBackendOptions } from './backend/wasm/create.js';
export { referenceBackend } from './backend/reference/index.js';
export { DenseNet, DenseLayer, DenseBlock, Transition, Features } from './models/densenet.js';
export { DEFAULT_CONFIG, resolveConfig, parseConfig, type DenseNetConfig, type Stem } from './models/config.js';
export { VARIANTS, variantConfig, variantNames, type VariantConfig } from './models/variants.js';
export { buildModel } from './models/factory.js';
export { summarize, type ModelSummary, type SummaryRow, type BlockSummary } from './models/summary.js';
export { readSafetensors, writeSafetensors } from './io/safetensors.js';
export { normalizeStateDict } from './io/keys.js';
export { SGD } from './optim/sgd.js';
export { specFromCheckpoint, IMAGENET_PRESET, type PreprocessSpec, type ResizeRule } from './vision/preprocess-spec.js';
export { preprocessPixels, describePreprocessing, type PreprocessedImage } from './vision/preprocess-pixels.js';
export type { RawImage } from './vision/pixels.js';
export { softmaxRows, topK, type ClassProb } from './vision/predict.js';
export { gradCam, type GradCamOptions, type GradCamResult } from './vision/gradcam.js';
export { jet, overlayHeat } from './vision/colormap.js';

/**
 * Loads safetensors weights (a densenet-ts checkpoint or exported weights; torchvision names) into `model`,
 * strictly, from bytes or a URL to fetch. Returns the file's metadata (config, classNames, preprocessing).
 */
export async function loadWeights(model: ImageClassifier, source: ArrayBuffer | Uint8Array | string | URL): Promise<Record<string, string>> {
  let bytes: Uint8Array;
  if (typeof source === 'string' || source instanceof URL) {
    const res = await fetch(source);
    if (!res.ok) throw new Error(`loadWeights: fetching ${String(source)} gave HTTP ${res.status}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } else {
    bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  }
  const { tensors, metadata } = readSafetensors(bytes);
  model.loadStateDict(new Map([...normalizeStateDict(tensors)].filter(([k]) => !k.startsWith('optimizer.'))));
  return metadata;
}
