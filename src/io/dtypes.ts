/**
 * The element types weights files store (safetensors' names) and their conversion to float32; integers float32
 * cannot hold exactly are refused. Not a tensor type system: the engine is float32 only.
 * Layouts: little-endian IEEE 754 binary64/32/16, bfloat16 (top half of binary32), two's complement integers.
 */
import { FormatError, type FileFormat } from './format-error.js';

export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const ELEMENT_SIZE: Readonly<Record<DType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(ELEMENT_SIZE, s);
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Reads a little-endian int64 as a number, or throws if float32 cannot hold it exactly. */
function int64ToFloat(dv: DataView, at: number, fail: (d: string) => never, index: number): number {
  const lo = dv.getUint32(at, true);
  const hi = dv.getInt32(at + 4, true);
  if (hi >= -0x200000 && hi < 0x200000) {
    const v = hi * 4294967296 + lo; // exact: |v| < 2^53
    if (Math.fround(v) === v) return v;
  } else {
    const b = dv.getBigInt64(at, true);
    const f = Math.fround(Number(b));
    if (Number.isFinite(f) && BigInt(f) === b) return f;
  }
  fail(`int64 value ${dv.getBigInt64(at, true)} at index ${index} does not fit exactly in float32`);
}

/** Typed arrays use the platform's byte order; float32 data can be read in place only where that is little-endian. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Converts `count` elements of `dtype` starting at bytes[0] to float32. Aligned little-endian F32 data (torch's zip
 * entries are 64-byte aligned, safetensors' usually 8) is returned as a VIEW of `bytes`, not a copy: loading a
 * model then copies each weight once, into the model, instead of three times.
 * `what` names the tensor or storage in errors (`tensor 'x'`); they are FormatErrors of `format`.
 */
export function toFloat32(bytes: Uint8Array, dtype: DType, count: number, format: FileFormat, what: string): Float32Array {
  const fail = (detail: string): never => { throw new FormatError(format, `${what}: ${detail}`); };
  const need = count * ELEMENT_SIZE[dtype];
  if (!Number.isSafeInteger(need) || bytes.length < need) fail(`needs ${need} bytes of ${dtype} but has ${bytes.length}`);
  if (dtype === 'F32' && LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Float32Array(count);
  if (dtype === 'F32') {
    new Uint8Array(out.buffer).set(bytes.subarray(0, need)); // copy first: the source may be unaligned
    return out;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, need);
  switch (dtype) {
    case 'F64': for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true); break;
    case 'F16': for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true)); break;
    case 'BF16':
      for (let i = 0; i < count; i++) {
        u32Scratch[0] = dv.getUint16(2 * i, true) << 16;
        out[i] = f32Scratch[0];
      }
      break;
    case 'I64': for (let i = 0; i < count; i++) out[i] = int64ToFloat(dv, 8 * i, fail, i); break;
    case 'I32':
      for (let i = 0; i < count; i++) {
        const v = dv.getInt32(4 * i, true);
        if (Math.fround(v) !== v) fail(`int32 value ${v} at index ${i} does not fit exactly in float32`);
        out[i] = v;
      }
      break;
    case 'I16': for (let i = 0; i < count; i++) out[i] = dv.getInt16(2 * i, true); break;
    case 'I8': for (let i = 0; i < count; i++) out[i] = dv.getInt8(i); break;
    case 'U8': for (let i = 0; i < count; i++) out[i] = bytes[i]; break;
    case 'BOOL':
      for (let i = 0; i < count; i++) {
        if (bytes[i] > 1) fail(`bool byte ${bytes[i]} at index ${i} is neither 0 nor 1`);
        out[i] = bytes[i];
      }
      break;
  }
  return out;
}
