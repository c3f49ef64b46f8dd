/**
 * densenet-ts: the public API (re-exports only). Models take NCHW tensors; backends are chosen explicitly or
 * by getBackend() (native, else wasm, else reference).
 */
export { Tensor, shapeSize, type Shape } from './tensor/tensor.js';
export { Rng } from './tensor/rng.js';
export type { Backend, BackendName, BackwardOps, ConvGeometry, PoolGeometry } from './backend/backend.js';
export { getBackend, loadBackend, availableBackends } from './backend/select.js';
export { referenceBackend } from './backend/reference/index.js';

export { DenseNet, DenseLayer, DenseBlock, Transition, Features, type StepResult, type TrainOptions, type ForwardHooks } from './models/densenet.js';
export { DEFAULT_CONFIG, resolveConfig, parseConfig, type DenseNetConfig, type Stem } from './models/config.js';
export { VARIANTS, variantConfig, variantNames, type VariantConfig } from './models/variants.js';
export { ResNet, resolveResNetConfig, type ResNetConfig, type ResNetConfigInput } from './models/resnet.js';
export { RESNET_VARIANTS, createResNet, resnetVariantConfig, resnetVariantNames } from './models/variants-resnet.js';
export type { ImageClassifier } from './models/classifier.js';
export { buildModel } from './models/factory.js';
export { summarize, type ModelSummary, type SummaryRow, type BlockSummary } from './models/summary.js';
export { planMemory, largestBatch, type MemoryPlan } from './models/memory.js';
export { adaptInputConv, adaptStateDict, headParameterNames, inputConvName, type AdaptReport } from './models/adapt.js';

export { Module } from './nn/module.js';
export { Parameter } from './nn/parameter.js';

export { readSafetensors, writeSafetensors } from './io/safetensors.js';
export { readPth } from './io/pth.js';
export { readWeightsFile, writeSafetensorsFile } from './io/weights-file.js';
export { normalizeStateDict } from './io/keys.js';
export { exportOnnx, type OnnxExport, type OnnxExportOptions } from './io/onnx/export.js';
export { decodeModel as readOnnxModel } from './io/onnx/schema.js';

export { SGD, type SgdOptions, type ParamGroup } from './optim/sgd.js';
export { learningRate, type ScheduleName, type ScheduleOptions } from './optim/schedule.js';

export * from './data/index.js';
export { fit, type TrainConfig, type FitArgs, type FitResult, type StepProgress } from './train/trainer.js';
export { evaluate, type EvalResult } from './train/evaluate.js';
export { readCheckpoint, writeCheckpoint, type Checkpoint, type CheckpointMeta } from './train/checkpoint.js';
export { curvesSvg, type EpochMetrics } from './train/curves.js';

// vision: photos in, classes and features out (preprocessing identical to torchvision's ImageNet preset)
export { IMAGENET_PRESET, specFromCheckpoint, type PreprocessSpec, type ResizeRule } from './vision/preprocess-spec.js';
export { loadImage, loadPixels } from './vision/preprocess.js';
export { preprocessPixels, resizeAndCrop, describePreprocessing, type PreprocessedImage } from './vision/preprocess-pixels.js';
export { decodeImage } from './vision/image.js';
export type { RawImage } from './vision/pixels.js';
export { resizeBilinearAA } from './vision/resample.js';
export { imagenetClasses } from './vision/imagenet-classes.js';
export { extractFeatures, extractEmbedding, type ExtractedFeatures } from './vision/features.js';
export { softmaxRows, topK, type ClassProb } from './vision/predict.js';
export { listImageFiles } from './vision/files.js';
export { imageBatches, type ImageBatch } from './vision/batches.js';
export { gradCam, type GradCamOptions, type GradCamResult } from './vision/gradcam.js';
export type { ScoreGrad } from './models/classifier-base.js';
export { jet, overlayHeat } from './vision/colormap.js';
