// Tests for src/io/pth.ts against PyTorch-written files (zip and legacy), crafted archives, truncation, corruption.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeStateDict } from '../../src/io/keys.js';
import { readPth } from '../../src/io/pth.js';
import { assertError, assertErrorOrExact, assertExact, expected, fixtureBytes, outcome, without } from './fixtures.js';
import { PROTO2, dictPickle, glob, int, pk, str, tensor, type Part } from './pickle-bytes.js';
import { buildZip } from './zip-builder.js';

// torch.save has no int8 storage in the allowed list, so the pth fixtures lack the safetensors-only 'i8'.
const MIXED = without(expected.mixed, 'i8');

test('pth: zip format, every dtype, transposed/offset/strided views, 0-d and empty tensors', () => {
  assertExact(readPth(fixtureBytes('mixed.pth')), MIXED, 'mixed.pth');
});

test('pth: legacy (pre-1.6) format, same tensors', () => {
  assertExact(readPth(fixtureBytes('mixed_legacy.pth')), MIXED, 'mixed_legacy.pth');
});

test('pth: torchvision DenseNet(growth_rate=4, block_config=(2,2)) state_dict', () => {
  assertExact(readPth(fixtureBytes('densenet.pth')), expected.densenet, 'densenet.pth');
});

test('pth: legacy format with legacy names (norm.1.weight) normalises to torchvision names', () => {
  const raw = readPth(fixtureBytes('densenet_legacy.pth'));
  assert.ok(raw.has('features.denseblock1.denselayer1.norm.1.weight'));
  assertExact(normalizeStateDict(raw), expected.densenet, 'densenet_legacy.pth');
});

test("pth: checkpoint {'epoch', 'state_dict': module.-prefixed legacy names} normalises too", () => {
  const raw = readPth(fixtureBytes('densenet_checkpoint.pth'));
  assert.ok(raw.has('module.features.denseblock2.denselayer2.conv.2.weight'));
  assertExact(normalizeStateDict(raw), expected.densenet, 'densenet_checkpoint.pth');
});

/** A torch.save-like archive around a crafted data.pkl and storages. */
function archive(pickle: Uint8Array, storages: Record<string, Uint8Array> = {}, extra: Record<string, string> = {}): Uint8Array {
  const enc = new TextEncoder();
  return buildZip([
    { name: 'archive/data.pkl', data: pickle },
    ...Object.entries(storages).map(([k, data]) => ({ name: `archive/data/${k}`, data })),
    ...Object.entries(extra).map(([k, s]) => ({ name: `archive/${k}`, data: enc.encode(s) })),
  ]);
}
const f32 = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);
const w4: [string, Part[]] = ['w', tensor('0', 'FloatStorage', 4, 0, [2, 2], [2, 1])];

test("pth: a checkpoint's 'model' entry is the state_dict; ZIP64 and deflated archives load", () => {
  const pickle = pk(PROTO2, '}(', str('epoch'), int(3), str('model'), ...dictPickle([w4]).subarray(2, -1), 'u.');
  const out = readPth(archive(pickle, { 0: f32(1, 2, 3, 4) }));
  assert.deepEqual([...out.get('w')!.data], [1, 2, 3, 4]);
  const z64 = buildZip([{ name: 'x/data.pkl', data: dictPickle([w4]), deflate: true }, { name: 'x/data/0', data: f32(5, 6, 7, 8) }], { zip64: true });
  assert.deepEqual([...readPth(z64).get('w')!.data], [5, 6, 7, 8]);
});

const malformed: [string, () => Uint8Array, RegExp][] = [
  ['a malicious global inside the archive', () => archive(pk(PROTO2, glob('os', 'system'), str('rm -rf /'), 0x85, 'R.')),
    /^pth: refusing to load global 'os\.system' \(only state_dict contents are allowed\)$/],
  ['a non-tensor entry', () => archive(dictPickle([['epoch', int(3)]])),
    /^pth: entry 'epoch' is not a tensor \(expected a state_dict, or a checkpoint with a 'state_dict' or 'model' entry\)$/],
  ['a list at the top', () => archive(pk(PROTO2, ']', '.')), /^pth: file holds no dict of tensors$/],
  ['a view past the end of its storage', () => archive(dictPickle([['w', tensor('0', 'FloatStorage', 4, 1, [2, 2], [2, 1])]]), { 0: f32(1, 2, 3, 4) }),
    /^pth: tensor \[2,2\] \(offset 1, strides \[2,1\]\) reaches element 4 of a 4-element storage '0'$/],
  ['size and stride of different rank', () => archive(dictPickle([['w', tensor('0', 'FloatStorage', 4, 0, [4], [1, 1])]]), { 0: f32(1, 2, 3, 4) }),
    /^pth: tensor \[4\] has 1 sizes but 2 strides$/],
  ['a missing storage', () => archive(dictPickle([w4])), /^pth: storage '0' is missing from the archive \(no 'archive\/data\/0'\)$/],
  ['a short storage', () => archive(dictPickle([w4]), { 0: f32(1, 2, 3) }), /^pth: storage '0' has 12 bytes but 4 F32 elements need 16$/],
  ['big-endian data', () => archive(dictPickle([w4]), { 0: f32(1, 2, 3, 4) }, { byteorder: 'big' }),
    /^pth: byteorder 'big' is not supported/],
  ['an int64 float32 cannot hold', () => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, 123456789n, true);
    return archive(dictPickle([['n', tensor('0', 'LongStorage', 1, 0, [], [])]]), { 0: b });
  }, /^pth: storage '0': int64 value 123456789 at index 0 does not fit exactly in float32$/],
  ['no data.pkl', () => buildZip([{ name: 'a/b', data: new Uint8Array(1) }]), /^pth: zip archive has no '<folder>\/data\.pkl'/],
  ['neither zip nor pickle', () => new TextEncoder().encode('hello world'), /^pth: not a torch\.save file/],
];
for (const [what, make, re] of malformed) {
  test(`pth: ${what} is a one-line error`, () => { assertError(() => readPth(make()), re); });
}

const fixtures: [string, typeof MIXED, number][] = [
  ['mixed.pth', MIXED, 1], ['mixed_legacy.pth', MIXED, 1], ['densenet.pth', expected.densenet, 37],
  ['densenet_legacy.pth', expected.densenet, 37], ['densenet_checkpoint.pth', expected.densenet, 37],
];
for (const [name, , step] of fixtures) {
  test(`pth: truncating ${name} anywhere is a one-line error`, () => {
    const bytes = fixtureBytes(name);
    for (let n = 0; n < bytes.length; n += n < 64 || bytes.length - n < 64 ? 1 : step) {
      assert.equal(outcome(() => readPth(bytes.subarray(0, n)), /^(pth|zip): /).ok, false, `cut at ${n} of ${bytes.length}`);
    }
  });
}

test('pth: corrupting any byte of a zip-format file errors in one line or changes nothing', () => {
  const bytes = fixtureBytes('mixed.pth');
  for (let i = 0; i < bytes.length; i++) {
    for (const flip of [0x01, 0xff]) {
      const bad = bytes.slice();
      bad[i] ^= flip;
      assertErrorOrExact(() => readPth(bad), MIXED, `byte ${i} ^ ${flip}`);
    }
  }
});

test('pth: corrupting any byte of a legacy file never crashes (the format has no checksums)', () => {
  const bytes = fixtureBytes('mixed_legacy.pth');
  for (let i = 0; i < bytes.length; i++) {
    const bad = bytes.slice();
    bad[i] ^= 0x41;
    outcome(() => readPth(bad), /^(pth|zip): /);
  }
});
