// Tests for src/io/weights-file.ts: content sniffing, path-prefixed one-line errors, atomic writes.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FormatError } from '../../src/io/format-error.js';
import { readWeightsFile, writeSafetensorsFile } from '../../src/io/weights-file.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertExact, expected, fixtureBytes, fixturePath, without } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'densenet-io-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function rejects(path: string, re: RegExp): Promise<string> {
  try {
    await readWeightsFile(path);
  } catch (e) {
    assert.ok(e instanceof Error);
    assert.ok(!e.message.includes('\n'), e.message);
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    if (!/: cannot read \(/.test(e.message)) assert.ok(e instanceof FormatError && e.file === path, `not a FormatError: ${e.message}`);
    assert.match(e.message, re);
    return e.message;
  }
  assert.fail(`${path} loaded`);
}

test('weights-file: every fixture is sniffed by content and normalised to torchvision names', async () => {
  for (const name of ['densenet.pth', 'densenet_legacy.pth', 'densenet_checkpoint.pth', 'densenet.safetensors']) {
    const { tensors } = await readWeightsFile(fixturePath(name));
    assertExact(tensors, expected.densenet, name);
  }
  const renamed = join(dir, 'weights.bin'); // the extension says nothing
  writeFileSync(renamed, fixtureBytes('mixed_legacy.pth'));
  assertExact((await readWeightsFile(renamed)).tensors, without(expected.mixed, 'i8'), 'weights.bin');
  const st = await readWeightsFile(fixturePath('mixed.safetensors'));
  assertExact(st.tensors, expected.mixed, 'mixed.safetensors');
  assert.equal(st.metadata.generator, '/usr/bin/python3 reference/make_io_fixtures.py');
});

test('weights-file: truncated files give one-line errors that start with the path', async () => {
  const seen = new Set<string>();
  for (const name of ['densenet.pth', 'densenet_legacy.pth', 'densenet.safetensors']) {
    const bytes = fixtureBytes(name);
    for (const n of [0, 3, 8, 9, 40, 200, bytes.length >> 1, bytes.length - 30, bytes.length - 1]) {
      const path = join(dir, `cut-${n}-${name}`);
      writeFileSync(path, bytes.subarray(0, n));
      seen.add((await rejects(path, /./)).slice(path.length + 2).replace(/\d+/g, 'N'));
    }
  }
  assert.ok(seen.size > 3, [...seen].join('\n'));
  const path = join(dir, 'weights.pth');
  writeFileSync(path, fixtureBytes('densenet.pth').subarray(0, 1000));
  await rejects(path, /^\S+weights\.pth: zip: truncated zip archive \(central directory not found\)$/);
});

test('weights-file: unreadable and unrecognised files', async () => {
  await rejects(join(dir, 'missing.pth'), /: cannot read \(ENOENT/);
  const junk = join(dir, 'junk.bin');
  writeFileSync(junk, 'definitely not weights');
  await rejects(junk, /: weights: not a weights file \(neither a torch\.save zip or legacy pickle nor safetensors: header length \d+ exceeds/);
  const badSt = join(dir, 'bad.safetensors');
  const h = new TextEncoder().encode('{"x":{"dtype":"F32","shape":[10,10],"data_offsets":[0,396]}}');
  const b = new Uint8Array(8 + h.length + 396);
  new DataView(b.buffer).setBigUint64(0, BigInt(h.length), true);
  b.set(h, 8);
  writeFileSync(badSt, b);
  await rejects(badSt, /: safetensors: tensor 'x' needs 400 bytes \(F32 \[10,10\]\) but its offsets span 396$/);
});

test('weights-file: writeSafetensorsFile writes atomically and reads back (num_batches_tracked as I64)', async () => {
  const path = join(dir, 'out.safetensors');
  writeFileSync(path, 'old contents');
  const tensors = new Map([['a.weight', Tensor.from([1, 2, 3], [3])], ['a.num_batches_tracked', Tensor.from([5], [])]]);
  await writeSafetensorsFile(path, tensors, { epoch: '3' });
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  assert.match(readFileSync(path).toString('latin1'), /"a\.num_batches_tracked":\{"dtype":"I64"/);
  const back = await readWeightsFile(path);
  assert.deepEqual(back.metadata, { epoch: '3' });
  assert.deepEqual([...back.tensors.get('a.num_batches_tracked')!.data], [5]);
  assert.deepEqual([...back.tensors.get('a.weight')!.data], [1, 2, 3]);
  await assert.rejects(writeSafetensorsFile(join(dir, 'no-such-dir', 'x.safetensors'), tensors),
    (e: Error) => e.message.startsWith(join(dir, 'no-such-dir', 'x.safetensors') + ': cannot write (ENOENT') && !e.message.includes('\n'));
});
