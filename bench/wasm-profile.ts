/**
 * DenseNet-121 batch-1 inference on the threaded wasm module by op category (bench/timed-backend.ts) at 1 and 2
 * threads, wall time, plus the time spent copying arrays into and out of linear memory (WasmMemory.put/get; with
 * the eval workspace kept in linear memory only the weights are still copied). Medians over runs. Not a test.
 * Run: node [--experimental-wasm-relaxed-simd] --import tsx bench/wasm-profile.ts [--runs 7]
 */
import { readFileSync } from 'node:fs';
import { createWasmBackend, nodeOptions, preferRelaxed } from '../src/backend/wasm/index.js';
import { WasmMemory } from '../src/backend/wasm/module.js';
import { DenseNet } from '../src/models/densenet.js';
import { variantConfig } from '../src/models/variants.js';
import { Tensor } from '../src/tensor/tensor.js';
import { median, ROOT } from './lib.js';
import { timed, type Times } from './timed-backend.js';

const runs = Number(process.argv.includes('--runs') ? process.argv[process.argv.indexOf('--runs') + 1] : 7);
const file = preferRelaxed(`${ROOT}build/densenet.wasm`);
const mt = await createWasmBackend(readFileSync(file), await nodeOptions(file, 2));
let copyMs = 0;
const proto = WasmMemory.prototype as unknown as Record<'put' | 'get', (...a: unknown[]) => unknown>;
for (const name of ['put', 'get'] as const) {
  const f = proto[name];
  proto[name] = function (this: unknown, ...a: unknown[]): unknown {
    const t0 = performance.now();
    const r = f.apply(this, a);
    copyMs += performance.now() - t0;
    return r;
  };
}
const model = new DenseNet(variantConfig('densenet121'), 0).eval();
const x = new Tensor(new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i * 0.37)), [1, 3, 224, 224]);
for (const threads of [1, 2]) {
  mt.setThreads(threads);
  const per = new Map<string, number[]>();
  const total: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    const times: Times = new Map();
    copyMs = 0;
    const t0 = performance.now();
    model.forward(x, timed(mt, times));
    const t = performance.now() - t0;
    if (r === 0) continue;
    total.push(t);
    times.set('(of which copies in/out)', copyMs);
    for (const [k, v] of times) per.set(k, [...(per.get(k) ?? []), v]);
  }
  console.log(`${file.slice(ROOT.length)} threaded, ${threads} thread(s): total ${median(total).toFixed(1)} ms; ` +
    [...per].map(([k, v]) => `${k} ${median(v).toFixed(1)}`).join(', '));
}
mt.terminate();
