// build-wasm.mjs: compiles the csrc/ kernels with clang to WebAssembly SIMD128 (freestanding: no libc, no
// Emscripten) and links them with wasm-ld into build/densenet.wasm (single-threaded, own memory) and
// build/densenet-mt.wasm (threads: atomics, an imported shared memory, dispatch.c over wasm_threadpool.c); with
// clang >= 16 also both again with relaxed SIMD (densenet-relaxed.wasm, densenet-mt-relaxed.wasm). It drives wasm-ld directly, so clang >= 16
// never runs wasm-opt behind our back; nothing is downloaded. On any failure it prints one warning line and
// exits 0 (the library then uses another backend). Run: node scripts/build-wasm.mjs [--verbose]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './run.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const csrc = path.join(root, 'csrc');
const out = path.join(root, 'build', 'densenet.wasm');
const mtOut = path.join(root, 'build', 'densenet-mt.wasm');
const verbose = process.argv.includes('--verbose');

/**
 * Host-only sources (N-API, pthreads, the native ISA table) are never compiled for wasm; every other csrc/*.c is
 * a freestanding kernel shared with the native build (DESIGN.md), or wasm_*.c glue that defines the exports.
 * Globbed, so a kernel split into a new file is picked up; wasm-ld drops what the exports never reach.
 */
const HOST_ONLY = new Set(['dispatch.c', 'threadpool.c', 'addon.c', 'addon_args.c', 'addon_backward.c', 'table.c']);
/** The single-threaded module's own exports; the threaded one replaces them with wasm_mt_exports.c over dispatch.c. */
const ST_ONLY = new Set(['wasm_exports.c', 'wasm_backward.c']);
/** Threaded module only: the addon's splitting (dispatch.c, table.c) over a wasm thread pool. */
const MT_ONLY = new Set(['wasm_threadpool.c', 'wasm_mt_exports.c', 'wasm_table.c']);
const MT_EXTRA = ['dispatch.c']; // table.c: through wasm_table.c
/**
 * The threaded module imports its memory (env.memory, shared, this many bytes initially: the glue creates it with
 * the same size, src/backend/wasm/threads.ts MT_INITIAL_PAGES) so workers can instantiate on it.
 */
const MT_INITIAL = 64 * 65536;
/** 4 GiB: the wasm32 limit; memory grows on demand up to it. 1 MiB of stack, placed first so overflow traps. */
const MAX_MEMORY = 65536 * 65536;
const STACK = 1 << 20;

class Missing extends Error {}

/** The first command of `names` that runs with `args`, or null. */
function findTool(names, args) {
  for (const name of names.filter(Boolean)) {
    const r = spawnSync(name, args, { encoding: 'utf8' });
    if (r.status === 0) return name;
  }
  return null;
}


/** Runs the jobs with at most `width` at once. */
async function pool(jobs, width) {
  const queue = [...jobs];
  await Promise.all(Array.from({ length: Math.max(1, width) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  }));
}

async function main() {
  // newest first: clang 19 made DenseNet-121 (batch 1, 1 thread, CPU time) 9% faster than clang 14 from the same
  // sources (182 vs 199 ms); unversioned `clang` is whatever the system default is
  const versions = ['-19', '-18', '-17', '-16', '', '-15', '-14'];
  const clang = findTool([process.env.DENSENET_CLANG, ...versions.map((v) => `clang${v}`)], ['--version']);
  if (clang === null) throw new Missing('clang not found; apt-get install clang lld');
  const ld = findTool([process.env.DENSENET_WASM_LD, ...versions.map((v) => `wasm-ld${v}`)], ['--version']);
  if (ld === null) throw new Missing('wasm-ld not found; apt-get install clang lld');

  const all = readdirSync(csrc).filter((f) => f.endsWith('.c') && !HOST_ONLY.has(f)).sort();
  const sources = all.filter((f) => !MT_ONLY.has(f));
  const mtSources = [...all.filter((f) => !ST_ONLY.has(f)), ...MT_EXTRA];
  // No FMA without relaxed SIMD, so -ffp-contract has nothing to fuse; nontrapping-fptoint keeps float->int
  // casts from trapping; bulk-memory turns struct copies into memory.copy instead of a libc memcpy call.
  const cflags = [
    '--target=wasm32', '-msimd128', '-mbulk-memory', '-mnontrapping-fptoint', '-msign-ext', '-O3',
    '-ffreestanding', '-nostdlib', '-fno-builtin', '-ffp-contract=fast', '-std=gnu11', '-DDN_ISA_SIMD128',
    // GEMM register tile 3 x 12: V8 maps v128 to the 16 xmm registers; the default 6x8 spills (28 GFLOP/s at
    // 128x3136x256), 4x8 (8 accumulators + 2 B + A) does not (34-35). 3x12 (9 accumulators + 3 B + A) reuses each
    // broadcast of A on 3 vectors: 1 thread, process CPU time (the machine was loaded), medians of 9, 3x12 / 4x8:
    // 128x3136x256 +3%, 128x784x512 +7%, 128x196x1024 +10%, 128x49x1024 +7%, DenseNet-121 batch 1 -4% time;
    // 4x12 (12 + 3 + 1) spills: -20..-30%. Wall clock, one noisy run: 5x8 and 6x8 -10..-40% vs 4x8, 2x16 within
    // -3..+4% of 4x8. Shapes: bench/wasm-threads.ts.
    '-DDN_MR=3', '-DDN_NV=3',
    '-Wall', '-Wextra', '-Wno-unused-function', `-I${csrc}`,
    ...(process.env.DENSENET_WASM_CFLAGS ?? '').split(' ').filter((f) => f.length > 0), // for tuning experiments
  ];
  // threaded: atomics (wait/notify, shared memory); dispatch.c's libc calls come from wasm_include/ (shims defined
  // in wasm_threadpool.c) and its non-x86/arm kernel table is this build's simd128 one
  const mtflags = [...cflags, '-matomics', '-mmutable-globals', `-I${path.join(csrc, 'wasm_include')}`,
    '-Ddn_kernels_generic=dn_kernels_simd128'];
  const common = ['--no-entry', '--export=__heap_base', '--strip-debug', '-O2', '--stack-first', '-z', `stack-size=${STACK}`,
    `--max-memory=${MAX_MEMORY}`];
  // each worker instance sets its own __stack_pointer (exported, mutable) to a region the main instance reserved
  const mtLink = ['--shared-memory', '--import-memory', `--initial-memory=${MT_INITIAL}`, '--export=__stack_pointer'];
  const t0 = Date.now();
  const builds = [
    { cc: clang, ld, flags: cflags, srcs: sources, dir: 'wasm-obj', out, link: [] },
    { cc: clang, ld, flags: mtflags, srcs: mtSources, dir: 'wasm-mt-obj', out: mtOut, link: mtLink },
  ];
  // relaxed SIMD (f32x4.relaxed_madd: an FMA where the CPU has one) needs clang >= 16: a second pair of modules,
  // chosen at load time where WebAssembly.validate accepts relaxed SIMD (src/backend/wasm/relaxed.ts)
  const relaxed = findRelaxed(versions);
  if (relaxed !== null) {
    const rel = (b, out) => ({ ...b, cc: relaxed.cc, ld: relaxed.ld, flags: [...b.flags, '-mrelaxed-simd'], dir: `${b.dir}-relaxed`, out });
    builds.push(rel(builds[0], out.replace(/\.wasm$/, '-relaxed.wasm')), rel(builds[1], mtOut.replace(/\.wasm$/, '-relaxed.wasm')));
  }
  const jobs = [];
  for (const b of builds) {
    mkdirSync(path.join(root, 'build', b.dir), { recursive: true });
    b.objs = b.srcs.map((f) => path.join(root, 'build', b.dir, f.replace(/\.c$/, '.o')));
    jobs.push(...b.srcs.map((f, i) => () => run(b.cc, [...b.flags, '-c', '-o', b.objs[i], path.join(csrc, f)])));
  }
  await pool(jobs, os.availableParallelism());
  for (const b of builds) await run(b.ld, [...common, ...b.link, '-o', b.out, ...b.objs]);
  const kb = (f) => Math.round(statSync(f).size / 1024);
  console.log(`densenet: built ${builds.map((b) => `${path.relative(root, b.out)} (${kb(b.out)} KiB)`).join(', ')} ` +
    `from ${sources.length} sources in ${((Date.now() - t0) / 1000).toFixed(1)} s` +
    (relaxed === null ? ' (no relaxed-SIMD variant: needs clang >= 16, e.g. apt-get install clang-19 lld-19)' : ''));
}

/** A clang that compiles relaxed SIMD and the wasm-ld of the same version, or null. */
function findRelaxed(versions) {
  const probe = path.join(root, 'build', 'relaxed-probe.c');
  writeFileSync(probe, 'typedef float v4 __attribute__((vector_size(16)));\n' +
    'v4 f(v4 a, v4 b, v4 c) { return __builtin_wasm_relaxed_madd_f32x4(a, b, c); }\n');
  for (const v of versions) {
    const r = spawnSync(`clang${v}`, ['--target=wasm32', '-msimd128', '-mrelaxed-simd', '-O2', '-c', '-o', `${probe}.o`, probe], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const ld = findTool([`wasm-ld${v}`], ['--version']);
    if (ld !== null) return { cc: `clang${v}`, ld };
  }
  return null;
}

main().catch((e) => {
  const why = e instanceof Missing ? e.message : `build failed: ${e.message}`;
  console.warn(`densenet: wasm backend not built (${why})`);
  process.exit(0);
});
