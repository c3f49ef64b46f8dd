/**
 * The benchmark page's side of `npm run bench:web` (bench/web.ts drives it): one engine and one thread count per
 * page load (onnxruntime-web fixes its thread count when it first starts), DenseNet-121 at 224x224, batch 1:
 * - 'densenet-ts': our wasm backend (backend.ts: threaded when the server has the threaded module), weights from a
 *   safetensors file the runner wrote;
 * - 'ort': onnxruntime-web's wasm backend (SIMD; numThreads as asked), its .mjs/.wasm files served from the
 *   package at /ort/, on the ONNX file our exporter wrote from the same weights.
 * setup() loads one engine and warms it up (thread count it reports, first logits); step() times one pass, so the
 * runner can interleave two pages pass by pass and the machine's noise falls on both alike.
 */
import { DenseNet, Tensor, loadWeights, variantConfig } from 'densenet-ts';
import { pageBackend } from './backend.js';

export interface BenchRequest { engine: 'densenet-ts' | 'ort'; threads: number; warmup: number; weights: string; onnx: string }
export interface BenchSetup { engine: string; threads: number; logits: number[]; crossOriginIsolated: boolean }

interface OrtTensor { data: Float32Array }
interface Ort {
  env: { wasm: { wasmPaths: string; numThreads: number; simd?: boolean } };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: {
    create(url: string, o: object): Promise<{ inputNames: string[]; outputNames: string[]; run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> }>;
  };
}

function input(): Float32Array {
  return new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i * 0.37) * 1.5);
}

/** Prepares one engine: loads the model, runs `warmup` untimed passes, keeps the pass for step(). */
let pass: (() => Promise<Float32Array<ArrayBufferLike>>) | null = null;

async function setup(r: BenchRequest): Promise<BenchSetup> {
  const x = input();
  let threads: number;
  if (r.engine === 'densenet-ts') {
    const backend = await pageBackend(r.threads);
    const model = new DenseNet(variantConfig('densenet121'), 0, { init: false });
    await loadWeights(model, r.weights);
    model.eval();
    const t = new Tensor(x, [1, 3, 224, 224]);
    pass = async () => model.forward(t, backend).data;
    threads = backend.threads;
  } else {
    const ortUrl = '/ort/ort.wasm.min.mjs';
    const ort = (await import(ortUrl)) as Ort;
    ort.env.wasm.wasmPaths = '/ort/';
    ort.env.wasm.numThreads = r.threads;
    const session = await ort.InferenceSession.create(r.onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, 224, 224]) };
    pass = async () => (await session.run(feeds))[session.outputNames[0]].data;
    threads = ort.env.wasm.numThreads;
  }
  let out: Float32Array<ArrayBufferLike> = new Float32Array(0);
  for (let i = 0; i < Math.max(1, r.warmup); i++) out = await pass();
  return { engine: r.engine, threads, logits: Array.from(out.subarray(0, 10)), crossOriginIsolated };
}

/** One timed pass, in ms. */
async function step(): Promise<number> {
  if (!pass) throw new Error('bench: setup() first');
  const t0 = performance.now();
  await pass();
  return performance.now() - t0;
}

(window as unknown as { bench: { setup: typeof setup; step: typeof step } }).bench = { setup, step };
document.body.dataset.state = 'ready';
