// prebuild.mjs (`npm pack` runs it as prepack): the binaries the published package ships, so that
// `npm install densenet-ts` needs no compiler where one of them fits (scripts/install.mjs then builds nothing):
//   prebuilds/linux-x64-glibc/densenet_native.node   gcc, as build-native.mjs builds it (AVX-512/AVX2/SSE2 inside)
//   prebuilds/linux-x64-musl/densenet_native.node    musl-gcc (Debian's musl-tools), for Alpine's Node
// The wasm module (platform-independent) ships as dist/densenet.wasm, copied there by `npm run build`.
// Other platforms build from source at install, as before. Each binary is built from the csrc/ in the package.
// postpack.mjs removes prebuilds/ again, so a stale binary never shadows a fresh local build in a checkout.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { platformTag } from './platform.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pre = path.join(root, 'prebuilds');

function node(script, args) {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', script), ...args], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed`);
}

/** True when `file` exists and is newer than every source in csrc/. */
function fresh(file) {
  if (!existsSync(file)) return false;
  const t = statSync(file).mtimeMs;
  return readdirSync(path.join(root, 'csrc')).every((f) => statSync(path.join(root, 'csrc', f)).mtimeMs < t);
}
const local = path.join(root, 'build', 'Release', 'densenet_native.node');

rmSync(pre, { recursive: true, force: true });
const tag = platformTag();
const made = [];
if (process.platform === 'linux' && process.arch === 'x64') {
  // both libcs come from this one machine: the glibc build, and the same sources through musl-gcc
  for (const [libc, cc] of [['glibc', 'gcc'], ['musl', 'musl-gcc']]) {
    const out = path.join(pre, `linux-x64-${libc}`, 'densenet_native.node');
    if (spawnSync(cc, ['--version']).status !== 0) {
      console.warn(`prebuild: ${cc} not found; no ${libc} binary (Debian: apt-get install ${libc === 'musl' ? 'musl-tools' : 'gcc'})`);
      continue;
    }
    if (libc === 'glibc' && fresh(local)) {
      // `npm install` just built this from the same sources: reuse it rather than compile everything twice
      mkdirSync(path.dirname(out), { recursive: true });
      copyFileSync(local, out);
    } else {
      node('build-native.mjs', ['--cc', cc, '--out', out]);
    }
    if (existsSync(out)) made.push(path.relative(root, out));
  }
} else {
  const out = path.join(pre, tag, 'densenet_native.node');
  node('build-native.mjs', ['--out', out]);
  if (existsSync(out)) made.push(path.relative(root, out));
}
console.log(`prebuild: ${made.length > 0 ? made.join(', ') : 'nothing (no compiler)'}`);
