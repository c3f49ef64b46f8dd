/**
 * DenseNet-121 224x224 inference on the wasm backend, two builds of the modules: --after (default this build's
 * build/densenet.wasm) against --before, each with its -mt twin beside it: the single-threaded module and the
 * threaded one at 2 threads, interleaved round by round; medians of --runs rounds, ms per image (BENCH_CPU=1:
 * CPU time), and after/before. Not a test (noisy machine). Winograd is off by default (csrc/dispatch.c): for
 * its A/B, copy build/*.wasm aside as the baseline, then DENSENET_WASM_CFLAGS=-DDN_WINOGRAD_DEFAULT=1 node
 * scripts/build-wasm.mjs builds the modules with it on.
 * Run: node --import tsx bench/winograd-wasm.ts --before OLD/densenet.wasm [--after NEW/densenet.wasm] [--runs 5] [--batch 1]
 */
import { readFileSync } from 'node:fs';
import type { Backend } from '../src/backend/backend.js';
import { createWasmBackend, nodeOptions } from '../src/backend/wasm/index.js';
import { DenseNet } from '../src/models/densenet.js';
import { variantConfig } from '../src/models/variants.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { median, ROOT } from './lib.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
const before = opt('before');
if (!before) throw new Error('bench/winograd-wasm: --before FILE (a baseline densenet.wasm) is required');
const runs = Number(opt('runs') ?? 5);
const n = Number(opt('batch') ?? 1);
const after = opt('after') ?? `${ROOT}build/densenet.wasm`;
/** ms: wall time, or with BENCH_CPU=1 the process's CPU time (all threads: steadier on a loaded machine) */
const now = (): number => (process.env.BENCH_CPU === '1' ? (process.cpuUsage().user + process.cpuUsage().system) / 1000 : performance.now());
const configs: [string, Backend][] = [];
for (const [label, file] of [['before', before], ['after', after]] as const) {
  configs.push([`${label} 1 thread`, await createWasmBackend(readFileSync(file), { threads: 1 })]);
  configs.push([`${label} 2 threads`, await createWasmBackend(readFileSync(file), await nodeOptions(file, 2))]);
}
const model = new DenseNet(variantConfig('densenet121'), 0);
model.eval();
const rng = new Rng(1);
const x = new Tensor(new Float32Array(n * 3 * 224 * 224).map(() => rng.normal()), [n, 3, 224, 224]);
const t = configs.map((): number[] => []);
for (let r = 0; r < runs + 1; r++)
  configs.forEach(([, be], i) => {
    const t0 = now();
    model.forward(x, be);
    if (r > 0) t[i].push((now() - t0) / n);
  });
const m = t.map(median);
console.log(`DenseNet-121 batch ${n}, ms/image (medians of ${runs})`);
console.log('| module | before | after | after/before |');
console.log('| --- | ---: | ---: | ---: |');
for (const k of [0, 1]) console.log(`| ${configs[k + 2][0].slice(6)} | ${m[k].toFixed(1)} | ${m[k + 2].toFixed(1)} | ${(m[k + 2] / m[k]).toFixed(2)} |`);
process.exit(0); // the threaded modules' workers
