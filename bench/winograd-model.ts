/**
 * DenseNet-121 inference (224x224, batch 1 and 8) with Winograd 3x3 convolutions off / on (DENSENET_WINOGRAD,
 * read by the addon per call) interleaved round by round (alternating which goes first), then onnxruntime-node on
 * the same weights in the same run: medians of BENCH_REPS rounds, ms/image, and each of ours as x onnxruntime's
 * time. Not a test (noisy machine).
 * Run: DENSENET_THREADS=2 node --import tsx bench/winograd-model.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadNative } from '../src/backend/native/index.js';
import { readWeightsFile } from '../src/io/weights-file.js';
import { DenseNet } from '../src/models/densenet.js';
import { variantConfig } from '../src/models/variants.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { median, ROOT } from './lib.js';

const reps = Number(process.env.BENCH_REPS ?? 7);
const LARGE = `${ROOT}test/fixtures/large/`;
const be = loadNative();
const model = new DenseNet(variantConfig('densenet121'), 0, { init: !existsSync(`${LARGE}densenet121.pth`) });
if (existsSync(`${LARGE}densenet121.pth`)) model.loadStateDict((await readWeightsFile(`${LARGE}densenet121.pth`)).tensors);
model.eval();
const ort = await import('onnxruntime-node');
const session = existsSync(`${LARGE}densenet121.onnx`)
  ? await ort.InferenceSession.create(readFileSync(`${LARGE}densenet121.onnx`), {
    intraOpNumThreads: be.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
  })
  : null;
console.log(`threads ${be.threads}, isa ${be.isa}`);
console.log('| batch | off ms/img | wino ms/img | wino/off | ort ms/img | off/ort | wino/ort |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const n of [1, 8]) {
  const rng = new Rng(1);
  const x = new Tensor(new Float32Array(n * 3 * 224 * 224).map(() => rng.normal()), [n, 3, 224, 224]);
  const t: number[][] = [[], [], []];
  // onnxruntime's threads keep spinning after a run and slow whatever runs next, so its rounds come after ours
  for (let r = 0; r < 2 * (reps + 1); r++) {
    for (const mode of r <= reps ? [r % 2, 1 - (r % 2)] : [2]) {
      process.env.DENSENET_WINOGRAD = mode === 1 ? '1' : '0';
      const t0 = performance.now();
      if (mode < 2) model.forward(x, be);
      else if (session) await session.run({ input: new ort.Tensor('float32', x.data, [n, 3, 224, 224]) });
      if (r > 0 && r !== reps + 1) t[mode].push((performance.now() - t0) / n);
    }
  }
  const [off, on, o] = t.map(median);
  const f = (v: number): string => v.toFixed(2);
  console.log(`| ${n} | ${f(off)} | ${f(on)} | ${f(on / off)} | ${session ? f(o) : '-'} | ${session ? f(off / o) : '-'} | ${session ? f(on / o) : '-'} |`);
}
