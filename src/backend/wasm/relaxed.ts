/**
 * Does this engine run WebAssembly relaxed SIMD? Validates a 59-byte module whose one function returns
 * f32x4.relaxed_madd of three v128 constants (Chrome >= 114, Firefox >= 120 behind a flag, Node >= 22; Node 20 needs
 * --experimental-wasm-relaxed-simd). The loaders then pick densenet[-mt]-relaxed.wasm (GEMM multiply-adds as one
 * relaxed_madd, fused where the CPU has FMA). Browser-safe.
 */
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const BODY = [0x00, ...V128_ZERO, ...V128_ZERO, ...V128_ZERO, 0xfd, 0x85, 0x02, 0x0b]; // f32x4.relaxed_madd = 0xfd 261
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, BODY.length + 2, 0x01, BODY.length, ...BODY, // code section
]);

let cached: boolean | null = null;

export function relaxedSimdSupported(): boolean {
  cached ??= WebAssembly.validate(PROBE);
  return cached;
}
