/**
 * DenseNet-121 inference (224x224, batch 1 and 8) with Winograd 3x3 convolutions off / on (DENSENET_WINOGRAD,
 * read by the addon per call) interleaved round by round (alternating which goes first), then onnxruntime-node on
 * the same weights in the same run: medians of BENCH_REPS rounds, ms/image, and each of ours as x onnxruntime's
 * time. Not a test (noisy machine).
 * Run: DENSENET_THREADS=2 node --import tsx bench/winograd-model.ts
 */
import { loadNative } from '../src/backend/native/index.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { ortDenseNet121, ourDenseNet121 } from './densenet121.js';
import { median } from './lib.js';

const reps = Number(process.env.BENCH_REPS ?? 7);
const be = loadNative();
const model = await ourDenseNet121();
const peer = await ortDenseNet121(be.threads);
const { ort, session } = 'why' in peer ? { ort: null, session: null } : peer;
if ('why' in peer) console.log(`onnxruntime column skipped: ${peer.why}`);
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
      else if (ort && session) await session.run({ input: new ort.Tensor('float32', x.data, [n, 3, 224, 224]) });
      if (r > 0 && r !== reps + 1) t[mode].push((performance.now() - t0) / n);
    }
  }
  const [off, on, o] = t.map(median);
  const f = (v: number): string => v.toFixed(2);
  console.log(`| ${n} | ${f(off)} | ${f(on)} | ${f(on / off)} | ${session ? f(o) : '-'} | ${session ? f(off / o) : '-'} | ${session ? f(on / o) : '-'} |`);
}
