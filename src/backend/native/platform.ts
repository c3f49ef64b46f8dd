/**
 * Where the native addon may be: $DENSENET_NATIVE_ADDON, a prebuilt binary shipped in the package for this
 * platform (prebuilds/<platform>-<arch>[-glibc|-musl]/, written by scripts/prebuild.mjs at `npm pack`), then a
 * local build (build/Release/, scripts/build-native.mjs at install). Same tag as scripts/platform.mjs.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ADDON = 'densenet_native.node';

/**
 * `linux-x64-glibc`, `linux-x64-musl`, `darwin-arm64`: the C library found as detect-libc does it, first from the
 * text of /usr/bin/ldd (a file read: ~0.1 ms), else from the process report's glibc runtime version (8-18 ms of CPU
 * at every start, measured with `process.report.getReport()` here).
 */
export function platformTag(): string {
  if (process.platform !== 'linux') return `${process.platform}-${process.arch}`;
  return `linux-${process.arch}-${lddLibc() ?? reportLibc()}`;
}

function lddLibc(): 'glibc' | 'musl' | undefined {
  try {
    const text = readFileSync('/usr/bin/ldd', 'latin1');
    if (text.includes('musl')) return 'musl';
    if (text.includes('GNU C Library') || text.includes('GLIBC')) return 'glibc';
  } catch {
    /* no ldd (a distroless image): ask the process report */
  }
  return undefined;
}

function reportLibc(): 'glibc' | 'musl' {
  if (process.report && 'excludeNetwork' in process.report) process.report.excludeNetwork = true; // halves its cost
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/** The package root: the first folder above this file (src/... or dist/...) holding package.json. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6 && !existsSync(path.join(dir, 'package.json')); i++) dir = path.dirname(dir);
  return dir;
}

export interface AddonCandidate {
  file: string;
  /** 'env' ($DENSENET_NATIVE_ADDON), 'prebuilt' or 'local build' */
  kind: string;
}

/** The candidates in the order they are tried, whether or not they exist. */
export function addonCandidates(): AddonCandidate[] {
  const env = process.env.DENSENET_NATIVE_ADDON;
  if (env !== undefined && env !== '') return [{ file: env, kind: '$DENSENET_NATIVE_ADDON' }];
  const root = packageRoot();
  return [
    { file: path.join(root, 'prebuilds', platformTag(), ADDON), kind: 'prebuilt' },
    { file: path.join(root, 'build', 'Release', ADDON), kind: 'local build' },
  ];
}
