import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadIdxDir, parseIdx } from '../../src/data/idx.js';

const tmp = mkdtempSync(join(tmpdir(), 'idx-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const head = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  head.setUint8(2, 0x08);
  head.setUint8(3, dims.length);
  dims.forEach((d, i) => head.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.byteLength + data.length);
  out.set(new Uint8Array(head.buffer));
  out.set(data, head.byteLength);
  return out;
}

const N = 5, H = 3, W = 4;
const pixels = Uint8Array.from({ length: N * H * W }, (_, i) => (i * 7) % 256);
const labels = Uint8Array.from([3, 0, 9, 1, 3]);

function writeSet(dir: string, prefix: string, gz: boolean): void {
  const ext = gz ? '.gz' : '';
  const enc = (b: Uint8Array): Uint8Array => (gz ? gzipSync(b) : b);
  writeFileSync(join(dir, `${prefix}-images-idx3-ubyte${ext}`), enc(idx([N, H, W], pixels)));
  writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte${ext}`), enc(idx([N], labels)));
}

for (const gz of [false, true]) {
  test(`idx round trip N=${N} ${H}x${W} ${gz ? 'gzipped' : 'raw'}`, () => {
    const dir = mkdtempSync(join(tmp, gz ? 'gz-' : 'raw-'));
    writeSet(dir, 'train', gz);
    writeSet(dir, 't10k', gz);
    for (const split of ['train', 'test'] as const) {
      const ds = loadIdxDir(dir, split);
      assert.equal(ds.size, N);
      assert.deepEqual([ds.channels, ds.height, ds.width], [1, H, W]);
      assert.deepEqual(ds.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      assert.deepEqual([...ds.image(2)], [...pixels.subarray(2 * H * W, 3 * H * W)]);
      assert.deepEqual(Array.from({ length: N }, (_, i) => ds.label(i)), [...labels]);
    }
    assert.equal(loadIdxDir(dir, 'train', { classNames: 'fashion' }).classNames[9], 'Ankle boot');
  });
}

test('idx: corrupted magic, truncated file, wrong type, label count mismatch', () => {
  const good = idx([N, H, W], pixels);
  const bad = good.slice();
  bad[0] = 0x12;
  assert.throws(() => parseIdx(bad, 'bad-file'), /bad-file: idx: bad magic number 12 00 08 03/);
  assert.throws(() => parseIdx(good.subarray(0, good.length - 3), 'short-file'),
    /short-file: idx: truncated: dims \[5, 3, 4\] need 76 bytes but the file has 73/);
  assert.throws(() => parseIdx(gzipSync(good.subarray(0, 40)), 'short.gz'), /short.gz: idx: truncated/);
  const f32 = good.slice();
  f32[2] = 0x0d;
  assert.throws(() => parseIdx(f32, 'float-file'), /data type 0xd is not supported/);
  const dir = mkdtempSync(join(tmp, 'mismatch-'));
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), good);
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([4], labels.subarray(0, 4)));
  assert.throws(() => loadIdxDir(dir, 'train'), /has 4 labels but .*train-images-idx3-ubyte has 5 images/);
  assert.throws(() => loadIdxDir(dir, 'test'), /idx: no t10k-images file in .* \(looked for t10k-images-idx3-ubyte, t10k-images-idx3-ubyte.gz/);
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([5], Uint8Array.from([0, 1, 2, 10, 0])));
  assert.throws(() => loadIdxDir(dir, 'train'), /labels out of range: label 10 at index 3 but numClasses is 10/);
});
