/**
 * readWhole (src/io/read-whole.ts): the same bytes as readFileSync for files of 0 bytes, one byte and 3 MiB + 3
 * (more than fs.promises.readFile's 512 KiB request), a buffer that starts at offset 0 of its own memory (the
 * readers' aligned float views depend on it), and the OS error for a missing file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readWhole } from '../../src/io/read-whole.js';

const dir = mkdtempSync(join(tmpdir(), 'dn-read-whole-'));

test('readWhole: the file\'s bytes, own memory from offset 0', async () => {
  for (const n of [0, 1, 3 * 1024 * 1024 + 3]) {
    const f = join(dir, `f${n}`);
    writeFileSync(f, Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255));
    const got = await readWhole(f);
    assert.equal(got.byteOffset, 0);
    assert.equal(got.buffer.byteLength, n);
    assert.deepEqual(Buffer.from(got.buffer, 0, got.length), readFileSync(f), `${n} bytes`);
  }
});

test('readWhole: a missing file is the OS error', async () => {
  await assert.rejects(readWhole(join(dir, 'nope')), { code: 'ENOENT' });
});
