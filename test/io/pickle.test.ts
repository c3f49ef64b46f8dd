// Tests for src/io/pickle.ts: CPython-written pickles, refused globals and opcodes, truncation and corruption.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PyDict, PyTuple, TensorRef, unpickle, type PyValue } from '../../src/io/pickle.js';
import { assertError, outcome } from './fixtures.js';
import { PROTO2, dictPickle, glob, int, pk, str, tensor } from './pickle-bytes.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
// pickle.dumps({'a': 1, 'b': [1.5, True, False, None, 2**70, -5, 300, 70000, -2**40], 'c': (1,2,3), 'e': 'é',
//               'f': (), 'g': (7,), 'h': {}}, protocol=2) by CPython 3.11
const P2 = hex('80027d71002858010000006171014b0158010000006271025d710328473ff800000000000088894e8a09000000000000000040' +
  '4afbffffff4d2c014a701101008a060000000000ff6558010000006371044b014b024b0387710558010000006571065802000000c3a9' +
  '710758010000006671082958010000006771094b0785710a580100000068710b7d710c752e');
// The same plus 'd': b'xy' and 'o': OrderedDict([('k', 1)]) at protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, bytes)
const P4 = hex('8004959c000000000000007d94288c0161944b018c0162945d9428473ff800000000000088894e8a0900000000000000004' +
  '04afbffffff4d2c014a701101008a060000000000ff658c0163944b014b024b0387948c0165948c02c3a9948c016694298c0167944b07' +
  '85948c0168947d948c01649443027879948c016f948c0b636f6c6c656374696f6e73948c0b4f72646572656444696374949394295294' +
  '8c016b944b0173752e');

function plain(v: PyValue): unknown {
  if (v instanceof PyDict) return Object.fromEntries([...v.map].map(([k, x]) => [String(k), plain(x)]));
  if (v instanceof PyTuple) return { tuple: v.items.map(plain) };
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

const values = {
  a: 1, b: [1.5, true, false, null, 2n ** 70n, -5, 300, 70000, -(2 ** 40)], c: { tuple: [1, 2, 3] }, e: 'é',
  f: { tuple: [] }, g: { tuple: [7] }, h: {},
};

test('pickle: plain values written by CPython at protocol 2', () => {
  const r = unpickle(P2);
  assert.equal(r.end, P2.length);
  assert.deepEqual(plain(r.value), values);
});

test('pickle: protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, bytes) is refused, as by torch.load(weights_only=True)', () => {
  assertError(() => unpickle(P4), /^pth: unsupported pickle opcode 0x95 at byte 2$/);
});

test('pickle: a tensor rebuild becomes a TensorRef, executing nothing', () => {
  const v = unpickle(dictPickle([['w', tensor('0', 'HalfStorage', 6, 1, [2, 2], [1, 2])]])).value as PyDict;
  const t = v.map.get('w') as TensorRef;
  assert.ok(t instanceof TensorRef);
  assert.deepEqual([t.storage.dtype, t.storage.key, t.storage.numel, t.offset, t.size, t.stride], ['F16', '0', 6, 1, [2, 2], [1, 2]]);
});

const refused: [string, Uint8Array, RegExp][] = [
  ['GLOBAL os.system', pk(PROTO2, glob('os', 'system'), str('echo pwned'), 0x85, 'R.'),
    /^pth: refusing to load global 'os\.system' \(only state_dict contents are allowed\)$/],
  ['STACK_GLOBAL posix.system', pk(0x80, 4, 0x8c, 5, 'posix', 0x8c, 6, 'system', 0x93, str('id'), 0x85, 'R.'),
    /^pth: unsupported pickle opcode 0x8c at byte 2$/],
  ['builtins.eval', pk(PROTO2, glob('builtins', 'eval'), str('1'), 0x85, 'R.'), /refusing to load global 'builtins\.eval'/],
  ['torch.load', pk(PROTO2, glob('torch', 'load'), str('x'), 0x85, 'R.'), /refusing to load global 'torch\.load'/],
  ['a whole nn.Module', pk(PROTO2, glob('torch.nn.modules.linear', 'Linear'), ')', 0x81, '.'),
    /refusing to load global 'torch\.nn\.modules\.linear\.Linear'/],
  ['numpy scalars', pk(PROTO2, glob('numpy.core.multiarray', 'scalar'), ')R.'), /refusing to load global 'numpy\.core\.multiarray\.scalar'/],
  ['torch.constructor (Object.prototype)', pk(PROTO2, glob('torch', 'constructor'), '.'), /refusing to load global 'torch\.constructor'/],
  ['collections.__proto__', pk(PROTO2, glob('collections', '__proto__'), '.'), /refusing to load global 'collections\.__proto__'/],
  ['calling a storage class', pk(PROTO2, glob('torch', 'FloatStorage'), ')R.'), /^pth: refusing to call 'torch\.FloatStorage'$/],
  ['NEWOBJ of a rebuild function', pk(PROTO2, glob('torch._utils', '_rebuild_parameter'), ')', 0x81, '.'),
    /^pth: refusing to instantiate 'torch\._utils\._rebuild_parameter'$/],
  ['BUILD on a list', pk(PROTO2, ']', '}', 'b.'), /^pth: refusing to BUILD a list$/],
  ['INST (protocol 0 class call)', pk(PROTO2, '(ios\nsystem\n.'), /^pth: unsupported pickle opcode 0x69 at byte 3$/],
  ['OBJ', pk(PROTO2, '(', glob('os', 'system'), 'o.'), /refusing to load global 'os\.system'/],
  ['REDUCE of a string', pk(PROTO2, str('os'), ')R.'), /^pth: corrupt pickle \(call of string at byte \d+\)$/],
  ['a non-storage persistent id', pk(PROTO2, str('module'), 0x85, 'Q.'), /^pth: unsupported persistent id/],
  ['memo read before write', pk(PROTO2, 'h', 3, '.'), /^pth: corrupt pickle \(memo 3 is unset/],
  ['stack underflow', pk(PROTO2, 's.'), /^pth: corrupt pickle \(stack underflow/],
  ['two values left at STOP', pk(PROTO2, 'NN.'), /^pth: corrupt pickle \(STOP with 2 values on the stack\)$/],
  ['protocol 6', pk(0x80, 6, 'N.'), /^pth: unsupported pickle protocol 6$/],
];
for (const [what, bytes, re] of refused) {
  test(`pickle: refuses ${what}`, () => { assertError(() => unpickle(bytes), re); });
}

test('pickle: every truncation is a one-line error', () => {
  for (const bytes of [P2, P4, dictPickle([['w', tensor('0', 'FloatStorage', 4, 0, [4], [1])]])]) {
    for (let n = 0; n < bytes.length; n++) {
      assert.equal(outcome(() => unpickle(bytes.subarray(0, n)), /^pth: /).ok, false, `cut at ${n}`);
    }
  }
});

test('pickle: every single-byte corruption gives a value or a one-line Error, never a crash', () => {
  for (const bytes of [P2, P4]) {
    for (let i = 0; i < bytes.length; i++) {
      for (const flip of [0x01, 0x20, 0xff]) {
        const bad = bytes.slice();
        bad[i] ^= flip;
        outcome(() => unpickle(bad), /^pth: /);
      }
    }
  }
});

test('pickle: huge declared lengths are refused without allocating', () => {
  assertError(() => unpickle(pk(PROTO2, 0x58, 0xff, 0xff, 0xff, 0x7f, '.')), /^pth: truncated pickle/);
  assertError(() => unpickle(pk(0x80, 4, 0x8d, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], '.')), /^pth: unsupported pickle opcode 0x8d/);
  assert.equal(unpickle(pk(PROTO2, int(-7), '.')).value, -7);
});

test('pickle: the stack, MARK depth and memo indices are bounded', () => {
  assertError(() => unpickle(pk(PROTO2, 'N'.repeat(1 << 17), 'N.')), /^pth: pickle stack exceeds 131072 values/);
  assertError(() => unpickle(pk(PROTO2, '('.repeat(4097), '.')), /^pth: pickle nests more than 4096 MARKs/);
  assertError(() => unpickle(pk(PROTO2, 'N', 'r', [0, 0, 0, 1], '.')), /^pth: corrupt pickle \(memo index 16777216 at byte 8 is out of range\)$/);
});

test('pickle: SETITEM(S) only on dicts and BUILD only on an OrderedDict (CVE-2026-24747)', () => {
  assertError(() => unpickle(pk(PROTO2, ']', int(1), int(2), 's.')), /^pth: corrupt pickle \(SETITEMS on list/);
  assertError(() => unpickle(pk(PROTO2, ')(', int(1), int(2), 'u.')), /^pth: corrupt pickle \(SETITEMS on PyTuple/);
  assertError(() => unpickle(pk(PROTO2, '}}b.')), /^pth: refusing to BUILD a dict$/);
  assert.ok(unpickle(pk(PROTO2, glob('collections', 'OrderedDict'), ')R}b.')).value instanceof PyDict);
});
