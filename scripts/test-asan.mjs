// test-asan.mjs: builds the native addon with AddressSanitizer and UndefinedBehaviorSanitizer into build/asan/
// (the normal build/Release addon is untouched) and runs the kernel, boundary and parity tests against it, with
// the sanitizer runtimes preloaded into node (node itself is not instrumented). Any report fails the run: UBSan
// halts on the first error, ASan aborts on the first bad access. Leak checking is off (node leaks at exit).
// Run: npm run test:asan [-- test files...]   (GCC only: it needs libasan.so and libubsan.so)
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outRoot = path.join(root, 'build', 'asan');
const addon = path.join(outRoot, 'Release', 'densenet_native.node');
const DEFAULT_TESTS = [
  'test/backend/native.test.ts', 'test/backend/native-backward.test.ts', 'test/backend/conv-pre.test.ts',
  'test/backend/conv-s1.test.ts', 'test/backend/pool-pre.test.ts', 'test/backend/ops.test.ts',
  'test/backend/ops-random.test.ts', 'test/backend/ops-backward.test.ts', 'test/backend/ops-backward-random.test.ts',
  'test/backend/ops-errors.test.ts', 'test/backend/boundary.test.ts',
  'test/models/parity.test.ts', 'test/models/train-parity.test.ts', 'test/models/resnet-parity.test.ts',
];

function fail(msg) {
  console.error(`test:asan: ${msg}`);
  process.exit(1);
}

const runtime = (lib) => {
  const r = spawnSync(process.env.CC ?? 'gcc', [`-print-file-name=${lib}`], { encoding: 'utf8' });
  const p = r.stdout?.trim();
  if (r.status !== 0 || !p || !path.isAbsolute(p) || !existsSync(p)) fail(`${lib} not found (needs GCC's sanitizer runtimes)`);
  return p;
};
const preload = [runtime('libasan.so'), runtime('libubsan.so')];

// 1. the sanitizer build: -O1 keeps it fast enough, -g and frame pointers give readable stacks
rmSync(addon, { force: true });
const flags = '-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1 -g';
const build = spawnSync(process.execPath,
  [path.join(root, 'scripts', 'build-native.mjs'), '--out', addon, '--obj', path.join(outRoot, 'obj'), '--cflags', flags],
  { stdio: 'inherit', env: { ...process.env, CC: process.env.CC ?? 'gcc' } });
if (build.status !== 0 || !existsSync(addon)) fail(`the sanitizer build failed (see above; no ${path.relative(root, addon)})`);

// 2. the tests, native backend only, with the runtimes preloaded
const tests = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT_TESTS;
const env = {
  ...process.env,
  DENSENET_NATIVE_ADDON: addon,
  LD_PRELOAD: [...preload, process.env.LD_PRELOAD].filter(Boolean).join(':'),
  // node is not built with ASan, so the runtime is preloaded rather than linked first
  ASAN_OPTIONS: 'detect_leaks=0:verify_asan_link_order=0:abort_on_error=1:halt_on_error=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};
// the tests drop a backend that fails to load, so first prove the sanitizer addon loads and is the one mapped
const probe = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', [
  "import { readFileSync } from 'node:fs';",
  "const { loadNative } = await import('./src/backend/native/index.ts');",
  'const nb = loadNative();',
  `if (!readFileSync('/proc/self/maps', 'utf8').includes(${JSON.stringify(addon)})) throw new Error('another addon was loaded');`,
  "console.log(`test:asan: sanitizer addon loaded (isa ${nb.isa})`);",
].join('\n')], { stdio: 'inherit', env, cwd: root });
if (probe.status !== 0) fail('the sanitizer addon does not load under node (see above)');

console.log(`test:asan: ${tests.length} test files against ${path.relative(root, addon)} (LD_PRELOAD=${env.LD_PRELOAD})`);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...tests], { stdio: 'inherit', env, cwd: root });
if (r.status !== 0) fail(`tests failed or a sanitizer reported an error (exit ${r.status ?? r.signal})`);
console.log('test:asan: clean (no AddressSanitizer or UndefinedBehaviorSanitizer report)');
