/**
 * The demo's model side: loads the committed Fashion-MNIST DenseNet-BC checkpoint (its config, class names and
 * preprocessing come from the file's metadata), asks for the wasm backend (threads = navigator.hardwareConcurrency
 * when the page is cross-origin isolated, else 1; the backend reports how many it really runs), and classifies a
 * [C, H, W] input: logits, top-3 softmax, forward latency, and the Grad-CAM map of the top class.
 * Not here: pixels and drawing (input.ts), pictures (connectivity.ts, main.ts).
 */
import { pageBackend } from './backend.js';
import {
  DenseNet, Tensor, gradCam, loadWeights, parseConfig, readSafetensors, specFromCheckpoint, summarize, topK,
  type Backend, type ClassProb, type GradCamResult, type ModelSummary, type PreprocessSpec,
} from 'densenet-ts';

export interface LoadedModel {
  model: DenseNet;
  backend: Backend;
  classNames: string[];
  spec: PreprocessSpec;
  summary: ModelSummary;
  /** threads asked for (hardwareConcurrency when cross-origin isolated, else 1) */
  requestedThreads: number;
  bestValAcc: number | null;
}

export interface Classification {
  logits: number[];
  top: ClassProb[];
  /** forward pass only, ms */
  forwardMs: number;
  cam: GradCamResult;
  camMs: number;
}

export async function loadDemoModel(weightsUrl: string): Promise<LoadedModel> {
  const requestedThreads = globalThis.crossOriginIsolated ? Math.max(1, navigator.hardwareConcurrency || 1) : 1;
  const [backend, res] = await Promise.all([pageBackend(requestedThreads), fetch(weightsUrl)]);
  if (!res.ok) throw new Error(`demo: fetching ${weightsUrl} gave HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const { metadata } = readSafetensors(bytes);
  if (!metadata.config || !metadata.preprocessing || !metadata.classNames) {
    throw new Error(`demo: ${weightsUrl} has no config/preprocessing/classNames metadata (not a densenet-ts checkpoint)`);
  }
  const model = new DenseNet(parseConfig(metadata.config, weightsUrl), 0, { init: false });
  await loadWeights(model, bytes);
  model.eval();
  const spec = specFromCheckpoint(JSON.parse(metadata.preprocessing));
  const [c, h, w] = spec.inputSize;
  const training = metadata.training ? (JSON.parse(metadata.training) as { bestValAcc?: number }) : {};
  return {
    model, backend, spec, requestedThreads,
    classNames: JSON.parse(metadata.classNames) as string[],
    summary: summarize(model, c, h, w),
    bestValAcc: training.bestValAcc ?? null,
  };
}

/** input: [C, H, W] normalised as the checkpoint's preprocessing says. */
export function classify(m: LoadedModel, input: Float32Array): Classification {
  const [c, h, w] = m.spec.inputSize;
  const x = new Tensor(input, [1, c, h, w]);
  const t0 = performance.now();
  const logits = m.model.forward(x, m.backend);
  const forwardMs = performance.now() - t0;
  const top = topK(logits, 3, m.classNames)[0];
  const t1 = performance.now();
  const cam = gradCam(m.model, x, m.backend, { classIndex: top[0].index });
  const camMs = performance.now() - t1;
  return { logits: Array.from(logits.data), top, forwardMs, cam, camMs };
}
