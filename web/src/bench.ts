/**
 * The benchmark page's side of `npm run bench:web` (bench/web.ts drives it): one engine and one thread count per
 * page load (onnxruntime-web fixes its thread count when it first starts), DenseNet-121 at 224x224, batch 1:
 * - 'densenet-ts': our wasm backend (getBackend with the page's /densenet.wasm and `threads`), weights from a
 *   safetensors file the runner wrote;
 * - 'ort': onnxruntime-web's wasm backend (SIMD; numThreads as asked), its .mjs/.wasm files served from the
 *   package at /ort/, on the ONNX file our exporter wrote from the same weights.
 * Returns the wall times of `reps` runs after `warmup`, the thread count the engine reports and the logits.
 */
import { DenseNet, Tensor, getBackend, loadWeights, variantConfig } from 'densenet-ts';

export interface BenchRequest { engine: 'densenet-ts' | 'ort'; threads: number; reps: number; warmup: number; weights: string; onnx: string }
export interface BenchResult { engine: string; threads: number; times: number[]; logits: number[]; crossOriginIsolated: boolean }

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

async function time(fn: () => Promise<Float32Array<ArrayBufferLike>> | Float32Array<ArrayBufferLike>, reps: number, warmup: number): Promise<{ times: number[]; out: Float32Array<ArrayBufferLike> }> {
  let out: Float32Array<ArrayBufferLike> = new Float32Array(0);
  for (let i = 0; i < warmup; i++) out = await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    out = await fn();
    times.push(performance.now() - t0);
  }
  return { times, out };
}

async function run(r: BenchRequest): Promise<BenchResult> {
  const x = input();
  if (r.engine === 'densenet-ts') {
    const opts = { wasm: '/densenet.wasm', threads: r.threads };
    const backend = await getBackend('wasm', opts);
    const model = new DenseNet(variantConfig('densenet121'), 0, { init: false });
    await loadWeights(model, r.weights);
    model.eval();
    const t = new Tensor(x, [1, 3, 224, 224]);
    const { times, out } = await time(() => model.forward(t, backend).data, r.reps, r.warmup);
    return { engine: r.engine, threads: backend.threads, times, logits: Array.from(out.subarray(0, 10)), crossOriginIsolated };
  }
  const ortUrl = '/ort/ort.wasm.min.mjs';
  const ort = (await import(ortUrl)) as Ort;
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = r.threads;
  const session = await ort.InferenceSession.create(r.onnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, 224, 224]) };
  const { times, out } = await time(async () => (await session.run(feeds))[session.outputNames[0]].data, r.reps, r.warmup);
  return { engine: r.engine, threads: ort.env.wasm.numThreads, times, logits: Array.from(out.subarray(0, 10)), crossOriginIsolated };
}

(window as unknown as { bench: { run: typeof run } }).bench = { run };
document.body.dataset.state = 'ready';
