/**
 * Where the native addon may be: $DENSENET_NATIVE_ADDON, a prebuilt binary shipped in the package for this
 * platform (prebuilds/<platform>-<arch>[-glibc|-musl]/, written by scripts/prebuild.mjs at `npm pack`), then a
 * local build (build/Release/, scripts/build-native.mjs at install). Same tag as scripts/platform.mjs.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ADDON = 'densenet_native.node';

/** `linux-x64-glibc`, `linux-x64-musl`, `darwin-arm64`: musl detected as detect-libc does (no glibc runtime). */
export function platformTag(): string {
  if (process.platform !== 'linux') return `${process.platform}-${process.arch}`;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return `linux-${process.arch}-${report?.header?.glibcVersionRuntime ? 'glibc' : 'musl'}`;
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
