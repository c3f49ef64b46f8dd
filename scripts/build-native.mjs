// build-native.mjs: compiles csrc/ into build/Release/densenet_native.node with the system C compiler,
// downloading nothing (Node's own headers from its install prefix). Each kernel source is compiled once per
// instruction set (AVX-512, AVX2+FMA, SSE2 on x86-64; NEON on arm64) into one addon that picks at load time.
// It is not node-gyp. On any failure it prints one warning line and exits 0: the library then falls back to
// the wasm or reference backend. Run: node scripts/build-native.mjs [--verbose] [--cc CC] [--out FILE]
// (--cc musl-gcc --out prebuilds/linux-x64-musl/densenet_native.node is how scripts/prebuild.mjs makes the musl binary).
// --obj DIR and --cflags 'FLAGS' (appended to the defaults, compile and link) build a variant without touching the
// normal build: scripts/test-asan.mjs builds the sanitizer addon into build/asan/ this way.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './run.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const csrc = path.join(root, 'csrc');
/** The value after `--name` on the command line, or undefined. */
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const out = path.resolve(arg('--out') ?? path.join(root, 'build', 'Release', 'densenet_native.node'));
// objects of another compiler (musl-gcc) must not be mixed with the default build's
const objDir = arg('--obj') ? path.resolve(arg('--obj'))
  : path.join(root, 'build', arg('--cc') ? `obj-${path.basename(arg('--cc'))}` : 'obj');
const extraFlags = (arg('--cflags') ?? '').split(/\s+/).filter(Boolean);
const verbose = process.argv.includes('--verbose');

/** Kernel sources: compiled once per ISA (they define suffixed symbols, see csrc/common.h). */
const KERNELS = ['gemm', 'im2col', 'conv2d', 'conv_s1', 'conv_wino', 'conv2d_dx', 'conv2d_dw', 'linear', 'scale_shift', 'channel_stats', 'batch_norm_backward', 'conv1x1_bn_backward',
  'pool', 'pool_backward', 'softmax', 'eltwise', 'fma_peak', 'table'];
/** Host-only sources (threads, N-API): compiled once, never for wasm. */
const HOST = ['dispatch', 'threadpool', 'addon_args', 'addon', 'addon_backward'];

function isaFlags() {
  if (process.arch === 'x64') {
    return {
      avx512: ['-DDN_ISA_AVX512', '-mavx512f', '-mavx2', '-mfma', '-mprefer-vector-width=512'],
      avx2: ['-DDN_ISA_AVX2', '-mavx2', '-mfma'],
      sse2: ['-DDN_ISA_SSE2', '-msse2'],
    };
  }
  if (process.arch === 'arm64') return { neon: ['-DDN_ISA_NEON'] };
  return { generic: [] };
}

/** The C compiler and whether it is GCC (for GCC-only flags). */
function findCompiler() {
  const only = arg('--cc');
  for (const cc of (only ? [only] : [process.env.CC, 'cc', 'gcc', 'clang']).filter(Boolean)) {
    const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return { cc, gcc: /\bgcc\b|GCC|Free Software Foundation/.test(r.stdout) && !/clang/.test(r.stdout) };
  }
  throw new Error(only ? `compiler ${only} not found` : 'no C compiler found (set CC, or install gcc)');
}

function findNodeHeaders() {
  const candidates = [
    process.env.DENSENET_NODE_HEADERS,
    path.resolve(process.execPath, '../../include/node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  for (const dir of candidates) if (existsSync(path.join(dir, 'node_api.h'))) return dir;
  throw new Error(`node_api.h not found (looked in ${candidates.join(', ')})`);
}


/** Runs the jobs with at most `width` at once. */
async function pool(jobs, width) {
  const queue = [...jobs];
  const workers = Array.from({ length: Math.max(1, width) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  });
  await Promise.all(workers);
}

async function main() {
  const { cc, gcc } = findCompiler();
  const headers = findNodeHeaders();
  mkdirSync(objDir, { recursive: true });
  mkdirSync(path.dirname(out), { recursive: true });
  // -ffp-contract=fast: FMA contraction only (no -ffast-math). GCC would turn short copy loops into libc
  // memmove calls that cost more than the copies (and wasm has no libc).
  const base = ['-O3', '-ffp-contract=fast', '-fPIC', '-std=gnu11', '-fvisibility=hidden', '-Wall', '-Wextra', '-Wno-unused-function', `-I${csrc}`];
  if (gcc) base.push('-fno-tree-loop-distribute-patterns');
  base.push(...extraFlags);
  const jobs = [];
  const objs = [];
  const compile = (src, obj, flags) => {
    objs.push(obj);
    jobs.push(() => run(cc, [...base, ...flags, '-c', '-o', obj, path.join(csrc, `${src}.c`)]));
  };
  for (const [isa, flags] of Object.entries(isaFlags())) {
    for (const k of KERNELS) compile(k, path.join(objDir, `${k}.${isa}.o`), flags);
  }
  for (const h of HOST) compile(h, path.join(objDir, `${h}.o`), [`-I${headers}`, '-pthread']);
  const t0 = Date.now();
  await pool(jobs, os.availableParallelism());
  // A musl cross-build (musl-gcc on a glibc host) would record its own `libc.so` as NEEDED, a name that Alpine's
  // runtime does not have (its libc is libc.musl-<arch>.so.1): link no libc at all, and let the addon's few libc
  // symbols (malloc, pthreads, snprintf) resolve against the node process that loads it, whose libc is musl.
  const link = path.basename(cc).startsWith('musl') ? ['-nostdlib', ...objs, '-lgcc'] : ['-pthread', ...objs];
  await run(cc, ['-shared', ...extraFlags, '-o', out, ...link]);
  const kb = Math.round(statSync(out).size / 1024);
  console.log(`densenet: built ${path.relative(root, out)} (${kb} KiB, ${Object.keys(isaFlags()).join('/')}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

main().catch((e) => {
  console.warn(`densenet: warning: native backend not built (${e.message}); the wasm or reference backend will be used`);
  process.exit(0);
});
