/**
 * DenseNet-121 as the inference benchmarks run it: our model with torchvision's weights and onnxruntime-node on
 * the ONNX file exported from the same weights (both from reference/make_fixtures.py --large), the session on
 * `threads` intra-op threads, one inter-op thread, every graph optimisation, sequential execution. Without the
 * files the model is a seeded initialisation and the session is null, with the reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { InferenceSession } from 'onnxruntime-node';
import { readWeightsFile } from '../src/io/weights-file.js';
import { DenseNet } from '../src/models/densenet.js';
import { variantConfig } from '../src/models/variants.js';
import { ROOT } from './lib.js';

export const LARGE = `${ROOT}test/fixtures/large/`;
export type Ort = typeof import('onnxruntime-node');

/** DenseNet-121 in eval mode, with torchvision's weights when the .pth is there. */
export async function ourDenseNet121(): Promise<DenseNet> {
  const pth = `${LARGE}densenet121.pth`;
  const model = new DenseNet(variantConfig('densenet121'), 0, { init: !existsSync(pth) });
  if (existsSync(pth)) model.loadStateDict((await readWeightsFile(pth)).tensors);
  return model.eval();
}

/** onnxruntime-node's session on DenseNet-121, or why there is none. */
export async function ortDenseNet121(threads: number): Promise<{ ort: Ort; session: InferenceSession } | { why: string }> {
  const file = `${LARGE}densenet121.onnx`;
  if (!existsSync(file)) return { why: `${file} is missing (make it: /usr/bin/python3 reference/make_fixtures.py --large)` };
  try {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(readFileSync(file), {
      intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
    });
    return { ort, session };
  } catch (e) {
    return { why: (e as Error).message.split('\n')[0] };
  }
}
