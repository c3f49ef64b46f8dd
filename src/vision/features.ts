/**
 * Intermediate features of a model from one eval-mode forward pass, NCHW, under torchvision's module names:
 * for a DenseNet `features.conv0` (CIFAR stem) or `features.pool0` (ImageNet stem), `features.denseblock1..N`
 * (each block's concatenated output), `features.transition1..N-1` (after its pooling), `features.norm5` (after
 * the ReLU torchvision's forward applies to it), and `embedding`, the pre-logits vector [N, C] after global
 * average pooling (what the classifier reads); plus the logits of the same pass. Works for any ConvClassifier
 * (the ResNet baseline taps its own names).
 * The engine reuses its block buffers within a pass (inference alternates two slots), so every map is copied
 * (CNHW -> NCHW) when it is tapped. Not a training API: the model is run in eval mode and left as it was.
 */
import type { Backend } from '../backend/backend.js';
import type { ImageClassifier } from '../models/classifier.js';
import { cnhwToNchw } from '../tensor/layout.js';
import { Tensor } from '../tensor/tensor.js';

/** The tap name of the pooled vector (classifier-base.ts poolName) for each family. */
const POOL_TAPS = new Set(['features.pool', 'avgpool']);

export interface ExtractedFeatures {
  /** NCHW feature maps by module name, and `embedding` [N, C] */
  features: Map<string, Tensor>;
  /** [N, C]: global average pool of the last feature map, the classifier's input */
  embedding: Tensor;
  /** [N, numClasses] */
  logits: Tensor;
}

/** x: [N, C, H, W] -> every tapped feature map, the embedding and the logits, from one forward pass. */
export function extractFeatures(model: ImageClassifier, x: Tensor, backend: Backend): ExtractedFeatures {
  const wasTraining = model.training;
  model.eval();
  const features = new Map<string, Tensor>();
  let embedding: Tensor | null = null;
  let logits: Tensor;
  try {
    logits = model.forward(x, backend, {
      tap: (path, f) => {
        const data = cnhwToNchw(f.data, f.n, f.c, f.h, f.w);
        if (POOL_TAPS.has(path)) embedding = new Tensor(data, [f.n, f.c]);
        else features.set(path, new Tensor(data, [f.n, f.c, f.h, f.w]));
      },
    });
  } finally {
    if (wasTraining) model.train();
  }
  if (embedding === null) throw new Error(`extractFeatures: the ${model.family} model reported no pooled features`);
  features.set('embedding', embedding);
  return { features, embedding, logits };
}

/** x: [N, C, H, W] -> only the embedding [N, C] and the logits (no other map is copied). */
export function extractEmbedding(model: ImageClassifier, x: Tensor, backend: Backend): { embedding: Tensor; logits: Tensor } {
  const wasTraining = model.training;
  model.eval();
  let embedding: Tensor | null = null;
  let logits: Tensor;
  try {
    logits = model.forward(x, backend, {
      tap: (path, f) => {
        if (POOL_TAPS.has(path)) embedding = new Tensor(cnhwToNchw(f.data, f.n, f.c, 1, 1), [f.n, f.c]);
      },
    });
  } finally {
    if (wasTraining) model.train();
  }
  if (embedding === null) throw new Error(`extractEmbedding: the ${model.family} model reported no pooled features`);
  return { embedding, logits };
}
