// Tests for src/io/safetensors.ts: a Python-written file, round trips, every validation error, truncation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertError, assertErrorOrExact, assertExact, expected, fixtureBytes, outcome } from './fixtures.js';

/** A safetensors file from a header object and a data buffer, as the format defines it. */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function headerOf(bytes: Uint8Array): Record<string, { dtype: string; shape: number[]; data_offsets: number[] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

test('safetensors: every tensor of a Python-written file (F32 F64 F16 BF16 I64 I32 U8 I8 BOOL) matches exactly', () => {
  const { tensors, metadata } = readSafetensors(fixtureBytes('mixed.safetensors'));
  assertExact(tensors, expected.mixed, 'mixed.safetensors');
  assert.equal(metadata.format, 'pt');
  assertExact(readSafetensors(fixtureBytes('densenet.safetensors')).tensors, expected.densenet, 'densenet.safetensors');
});

test('safetensors: F16 and BF16 special values (inf, nan, subnormal, -0)', () => {
  const f16 = [0x3c00, 0x7c00, 0xfc00, 0x7e00, 0x0001, 0x8000, 0x7bff];
  const bf16 = [0x3f80, 0x7f80, 0xff80, 0x7fc0, 0x0001, 0x8000];
  const data = new Uint8Array(2 * (f16.length + bf16.length));
  const dv = new DataView(data.buffer);
  [...f16, ...bf16].forEach((v, i) => dv.setUint16(2 * i, v, true));
  const { tensors } = readSafetensors(craft({
    h: { dtype: 'F16', shape: [f16.length], data_offsets: [0, 2 * f16.length] },
    b: { dtype: 'BF16', shape: [bf16.length], data_offsets: [2 * f16.length, data.length] },
  }, data));
  assert.deepEqual([...tensors.get('h')!.data], [1, Infinity, -Infinity, NaN, 2 ** -24, -0, 65504]);
  assert.deepEqual([...tensors.get('b')!.data], [1, Infinity, -Infinity, NaN, 2 ** -133, -0]);
});

test('safetensors: write -> read round trip keeps values, order, metadata and I64 names', () => {
  const tensors = new Map<string, Tensor>([
    ['w', Tensor.from([1.5, -2, 3.25, 1e-30, -0, 7], [2, 3])],
    ['bn.num_batches_tracked', Tensor.from([123456], [])],
    ['odd', Tensor.from([1, 2, 3], [3])],
    ['empty', Tensor.zeros([0, 4])],
    ['ints', Tensor.from([-(2 ** 24), 0, 2 ** 24], [3])],
    ['__proto__', Tensor.from([9], [1])],
  ]);
  const int64 = (n: string): boolean => n.endsWith('num_batches_tracked') || n === 'ints';
  const bytes = writeSafetensors(tensors, { format: 'pt', note: 'héllo' }, { int64 });
  const header = headerOf(bytes);
  assert.equal(header['bn.num_batches_tracked'].dtype, 'I64');
  assert.equal(header.ints.dtype, 'I64');
  assert.equal(header.w.dtype, 'F32');
  assert.equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0, 'header padded to 8 bytes');
  const back = readSafetensors(bytes);
  assert.deepEqual(back.metadata, { format: 'pt', note: 'héllo' });
  assert.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
  for (const [k, t] of tensors) {
    assert.deepEqual(back.tensors.get(k)!.shape, t.shape, k);
    assert.deepEqual(back.tensors.get(k)!.data, t.data, k);
  }
});

test('safetensors: writing a non-integer as I64 is refused', () => {
  assertError(() => writeSafetensors([['n', Tensor.from([0.5], [1])]], {}, { int64: () => true }),
    /^safetensors: tensor 'n' is to be written as I64 but holds 0.5 at index 0$/);
});

test('safetensors: int64 values float32 cannot hold are refused', () => {
  const data = new Uint8Array(16);
  new DataView(data.buffer).setBigInt64(8, 2n ** 24n + 1n, true);
  assertError(() => readSafetensors(craft({ n: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data)),
    /^safetensors: tensor 'n': int64 value 16777217 at index 1 does not fit exactly in float32$/);
  new DataView(data.buffer).setBigInt64(8, 2n ** 62n, true); // a power of two: exact in float32
  assert.equal(readSafetensors(craft({ n: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data)).tensors.get('n')!.data[1], 2 ** 62);
});

const x = (offsets: number[], dtype = 'F32', shape = [10, 10]): unknown => ({ dtype, shape, data_offsets: offsets });
const cases: [string, () => Uint8Array, RegExp][] = [
  ['too short', () => new Uint8Array(5), /^safetensors: file is 5 bytes, too short for the 8-byte header length$/],
  ['header length beyond the file', () => craft({}, new Uint8Array(0), 1000), /^safetensors: header length 1000 exceeds the 2 bytes after it/],
  ['bad JSON', () => { const b = craft({ a: 1 }); b[9] = 0x7b; return b; }, /^safetensors: header is not valid JSON \(/],
  ['header not an object', () => craft([1, 2]), /^safetensors: header does not open with '\{'$/],
  ['unknown dtype', () => craft({ x: x([0, 8], 'F8', [2]) }, new Uint8Array(8)), /^safetensors: tensor 'x' has unknown dtype "F8"$/],
  ['bad shape', () => craft({ x: x([0, 4], 'F32', [-1]) }, new Uint8Array(4)), /^safetensors: tensor 'x' has an invalid shape \[-1\]$/],
  ['offsets reversed', () => craft({ x: x([8, 4]) }, new Uint8Array(8)), /^safetensors: tensor 'x' has invalid data_offsets \[8,4\]$/],
  ['offsets out of range', () => craft({ x: x([0, 400]) }, new Uint8Array(396)),
    /^safetensors: tensor 'x' data_offsets \[0,400\] run past the end of the 396-byte data buffer$/],
  ['size mismatch', () => craft({ x: x([4, 400]) }, new Uint8Array(400)),
    /^safetensors: tensor 'x' needs 400 bytes \(F32 \[10,10\]\) but its offsets span 396$/],
  ['overlap', () => craft({ a: x([0, 8], 'F32', [2]), b: x([4, 12], 'F32', [2]) }, new Uint8Array(12)),
    /^safetensors: tensors 'a' and 'b' overlap/],
  ['hole', () => craft({ a: x([0, 4], 'F32', [1]), b: x([8, 12], 'F32', [1]) }, new Uint8Array(12)),
    /^safetensors: data bytes \[4,8\) belong to no tensor$/],
  ['trailing bytes', () => craft({ a: x([0, 4], 'F32', [1]) }, new Uint8Array(6)), /^safetensors: data buffer has 2 bytes after the last tensor$/],
  ['metadata not strings', () => craft({ __metadata__: { a: 1 } }), /^safetensors: __metadata__ value for 'a' is not a string$/],
  ['bool out of range', () => craft({ b: x([0, 1], 'BOOL', [1]) }, Uint8Array.of(2)), /^safetensors: tensor 'b': bool byte 2 at index 0 is neither 0 nor 1$/],
];
for (const [what, make, re] of cases) {
  test(`safetensors: ${what} is a clear one-line error`, () => { assertError(() => readSafetensors(make()), re); });
}

test('safetensors: every truncation of a real file is a one-line error', () => {
  const bytes = fixtureBytes('mixed.safetensors');
  for (let n = 0; n < bytes.length; n++) {
    assert.equal(outcome(() => readSafetensors(bytes.subarray(0, n)), /^safetensors: /).ok, false, `cut at ${n}`);
  }
});

test('safetensors: corrupting any header byte errors in one line or changes nothing a strict load accepts', () => {
  const bytes = fixtureBytes('mixed.safetensors');
  const end = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  for (let i = 0; i < end; i++) {
    for (const flip of [0x01, 0x10, 0x80]) {
      const bad = bytes.slice();
      bad[i] ^= flip;
      assertErrorOrExact(() => readSafetensors(bad).tensors, expected.mixed, `byte ${i} ^ ${flip}`);
    }
  }
});
