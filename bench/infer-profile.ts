/**
 * Where one DenseNet-121 inference forward (224x224, eval mode) spends its time on the native backend, op class by
 * op class, next to onnxruntime-node's time for the same weights in the same run (interleaved: ours, ORT, ours
 * profiled; medians of --reps). Every backend op is timed through a wrapper (a clock read around the N-API call)
 * and filed by its geometry: 1x1 and 3x3 convolutions by dense block (map size), the stem (7x7/2 conv; max pool
 * with norm0-relu0 fused in), transitions (BN-ReLU-avgpool fused, then the 1x1 conv on the pooled map: dense-block.ts
 * pools first), the head (norm5 BN-ReLU, global pool, classifier). "JS between ops" is the profiled forward minus
 * every timed op: argument checks, view creation, the model's own code, the NCHW->CNHW input conversion, and the
 * profiler's own clock reads (~2 per op; large with --cpu, whose clock is a system call). Two lines under it time
 * parts of it alone: the input conversion as the model does it, and the model code alone (a forward through a
 * backend whose ops return at once: BN folding, views, checks in the model, the conversion; not the addon glue).
 * Not a test: numbers from a shared, noisy machine; read the shares and the same-run ratio. `--cpu` times with the
 * process's CPU time instead of the wall clock (meaningful with DENSENET_THREADS=1 on a loaded machine, where
 * waiting for a core is not our cost); the onnxruntime column is then skipped (its threads are not ours to count).
 * `--no-peer` leaves onnxruntime out: its threads spin after each run and slow the profiled forward that follows.
 *   node --import tsx bench/infer-profile.ts [--batch 1,8] [--reps 9] [--cpu] [--no-peer] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import type { Backend, ConvGeometry, ConvPre, F32, PoolGeometry } from '../src/backend/backend.js';
import { dryRunBackend as NULL_OPS } from '../src/backend/dry-run.js';
import { loadNative } from '../src/backend/native/index.js';
import { nchwToCnhwInto } from '../src/tensor/layout.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';
import { ortDenseNet121, ourDenseNet121 } from './densenet121.js';
import { median } from './lib.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const batches = opt('--batch', '1,8').split(',').map(Number);
const reps = Number(opt('--reps', '9'));
const jsonOut = args.includes('--json') ? opt('--json', '') : undefined;
const cpuClock = args.includes('--cpu');
/** --no-peer: skip onnxruntime (its intra-op threads spin after each run and slow the profiled forward after it) */
const noPeer = args.includes('--no-peer');
/** ms: wall clock, or with --cpu the process's user + system CPU time */
const now = cpuClock ? (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : (): number => performance.now();

const BLOCK_OF_SIZE: Record<number, number> = { 56: 1, 28: 2, 14: 3, 7: 4 };
const block = (h: number): string => `block ${BLOCK_OF_SIZE[h] ?? `?(${h}x${h})`}`;

/** The profile's category of a convolution: stem, dense-layer 1x1 (with its fused BN-ReLU) or 3x3, transition 1x1. */
function convCat(g: ConvGeometry, pre: ConvPre | null | undefined): string {
  if (g.kh === 7) return 'stem: conv 7x7/2';
  if (g.kh === 3) return `conv 3x3, ${block(g.h)}`;
  // a transition's 1x1 conv reads the pooled map, BN-ReLU already applied (no pre); a dense layer's applies its own
  return pre ? `conv 1x1 (BN-ReLU in packing), ${block(g.h)}` : `transition: conv 1x1 -> ${block(g.h)}`;
}

type Times = Map<string, { ms: number; calls: number }>;

/** A Backend that forwards the inference ops to `be` and adds each call's wall time to `times`. */
function timed(be: Backend, times: Times): Backend {
  const add = (cat: string, t0: number): void => {
    const e = times.get(cat) ?? { ms: 0, calls: 0 };
    e.ms += now() - t0;
    e.calls++;
    times.set(cat, e);
  };
  const fail = (op: string) => (): never => {
    throw new Error(`infer-profile: ${op} is not part of an inference forward`);
  };
  return {
    name: be.name,
    threads: be.threads,
    gemm: fail('gemm'),
    conv2d(g: ConvGeometry, x: F32, w: F32, bias: F32 | null, y: F32, pre?: ConvPre | null): void {
      const t0 = now();
      be.conv2d(g, x, w, bias, y, pre);
      add(convCat(g, pre), t0);
    },
    scaleShift(c: number, s: number, x: F32, scale: F32, shift: F32, relu: boolean, y: F32): void {
      const t0 = now();
      be.scaleShift(c, s, x, scale, shift, relu, y);
      add('head: norm5 BN-ReLU', t0);
    },
    channelStats: fail('channelStats'),
    relu: fail('relu'),
    maxPool2d(g: PoolGeometry, x: F32, y: F32, pre?: ConvPre | null): void {
      const t0 = now();
      be.maxPool2d(g, x, y, pre);
      add('stem: BN-ReLU + maxpool 3x3/2', t0);
    },
    avgPool2d(g: PoolGeometry, x: F32, y: F32, pre?: ConvPre | null): void {
      const t0 = now();
      be.avgPool2d(g, x, y, pre);
      add(`transition: BN-ReLU + avgpool 2x2 -> ${block(g.ho)}`, t0);
    },
    globalAvgPool(c: number, n: number, hw: number, x: F32, y: F32): void {
      const t0 = now();
      be.globalAvgPool(c, n, hw, x, y);
      add('head: global avg pool', t0);
    },
    linear(n: number, i: number, o: number, x: F32, w: F32, b: F32 | null, y: F32): void {
      const t0 = now();
      be.linear(n, i, o, x, w, b, y);
      add('head: classifier (linear)', t0);
    },
    softmax: fail('softmax'),
    dropout: fail('dropout'),
  };
}

/** Display order: stem, then each block's 1x1 and 3x3 convs and the transition after it, then the head. */
function order(cat: string): number {
  const b = /block (\d)/.exec(cat);
  const n = b ? Number(b[1]) : 0;
  if (cat.startsWith('input')) return 0;
  if (cat.startsWith('stem: conv')) return 1;
  if (cat.startsWith('stem')) return 2;
  if (cat.startsWith('transition: BN')) return 10 * n + 1;
  if (cat.startsWith('transition')) return 10 * n + 2;
  if (cat.startsWith('conv 1x1')) return 10 * n + 3;
  if (cat.startsWith('conv 3x3')) return 10 * n + 4;
  if (cat.startsWith('head: norm5')) return 60;
  if (cat.startsWith('head: global')) return 61;
  if (cat.startsWith('head')) return 62;
  return 70;
}

const be = loadNative();
const model = await ourDenseNet121();
const peer = cpuClock || noPeer ? { why: cpuClock ? '--cpu' : '--no-peer' } : await ortDenseNet121(be.threads);
const { ort, session } = 'why' in peer ? { ort: null, session: null } : peer;
if ('why' in peer) console.log(`onnxruntime column skipped (${peer.why})`);

const out: Record<string, unknown>[] = [];
console.log(`native ${be.isa}, ${be.threads} threads; medians of ${reps}; ${cpuClock ? 'process CPU time' : 'wall clock'}`);
for (const n of batches) {
  const rng = new Rng(1);
  const x = new Tensor(new Float32Array(n * 3 * 224 * 224).map(() => rng.normal()), [n, 3, 224, 224]);
  const feeds = ort && session ? { input: new ort.Tensor('float32', x.data, [n, 3, 224, 224]) } : null;
  const perRep = new Map<string, number[]>();
  const plain: number[] = [], profiled: number[] = [], peer: number[] = [], conv: number[] = [], js: number[] = [];
  const inputSlot = new Float32Array(x.data.length);
  for (let r = -2; r < reps; r++) { // two warm-up rounds
    let t0 = now();
    model.forward(x, be);
    const tPlain = now() - t0;
    let tPeer = 0;
    if (session && feeds) {
      t0 = now();
      await session.run(feeds);
      tPeer = now() - t0;
    }
    const times: Times = new Map();
    t0 = now();
    model.forward(x, timed(be, times));
    const tProf = now() - t0;
    t0 = now();
    nchwToCnhwInto(x.data, n, 3, 224, 224, inputSlot);
    const tConv = now() - t0;
    t0 = now();
    model.forward(x, NULL_OPS);
    const tJs = now() - t0;
    if (r < 0) continue;
    plain.push(tPlain), profiled.push(tProf), peer.push(tPeer), conv.push(tConv), js.push(tJs);
    let opsMs = 0;
    for (const [cat, e] of times) {
      const key = `${cat}  (${e.calls} call${e.calls > 1 ? 's' : ''})`;
      (perRep.get(key) ?? perRep.set(key, []).get(key)!).push(e.ms);
      opsMs += e.ms;
    }
    const jsKey = 'JS between ops (checks, views, model code, input NCHW->CNHW, clock reads)';
    (perRep.get(jsKey) ?? perRep.set(jsKey, []).get(jsKey)!).push(tProf - opsMs);
  }
  const total = median(profiled);
  const rows = [...perRep.entries()].map(([cat, v]) => ({ cat, ms: median(v) })).sort((a, b) => order(a.cat) - order(b.cat));
  console.log(`\nDenseNet-121 224x224, batch ${n}: ours ${median(plain).toFixed(2)} ms (profiled ${total.toFixed(2)}), ` +
    `onnxruntime-node ${session ? median(peer).toFixed(2) : '-'} ms` + (session ? `  => ${(median(plain) / median(peer)).toFixed(3)}x the time` : ''));
  console.log(`| op class (batch ${n}) | ms | share of profiled forward |`);
  console.log('| --- | --- | --- |');
  for (const { cat, ms } of rows) console.log(`| ${cat} | ${ms.toFixed(3)} | ${(100 * ms / total).toFixed(1)}% |`);
  console.log(`| (input NCHW->CNHW alone, part of the JS line) | ${median(conv).toFixed(3)} | ${(100 * median(conv) / total).toFixed(1)}% |`);
  console.log(`| (model code alone: a forward whose ops do nothing) | ${median(js).toFixed(3)} | ${(100 * median(js) / total).toFixed(1)}% |`);
  out.push({ batch: n, ours_ms: median(plain), profiled_ms: total, ort_ms: session ? median(peer) : null, input_ms: median(conv), model_js_ms: median(js), rows });
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ isa: be.isa, threads: be.threads, reps, batches: out }, null, 2) + '\n');
