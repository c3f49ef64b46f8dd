// platform.mjs: the tag a prebuilt addon is filed under, `<platform>-<arch>[-glibc|-musl]` (linux-x64-glibc),
// for the build scripts. src/backend/native/platform.ts computes the same tag for the loader.
// musl is detected as detect-libc does: Node's process report names a glibc runtime only on glibc.
export function platformTag() {
  if (process.platform !== 'linux') return `${process.platform}-${process.arch}`;
  const header = process.report?.getReport?.().header;
  return `linux-${process.arch}-${header?.glibcVersionRuntime ? 'glibc' : 'musl'}`;
}
