// Tests for src/io/zip.ts: torch archives, stored/deflated/ZIP64 entries, CRC, truncation and corruption.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32, readZip } from '../../src/io/zip.js';
import { assertError, fixtureBytes, outcome } from './fixtures.js';
import { buildZip } from './zip-builder.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const entries = [
  { name: 'a/data.pkl', data: enc.encode('hello pickle') },
  { name: 'a/data/0', data: enc.encode('x'.repeat(1000)), deflate: true },
  { name: 'a/empty', data: new Uint8Array(0) },
];

test('zip: entries of a torch.save archive (stored, ZIP64 end records)', () => {
  const zip = readZip(fixtureBytes('mixed.pth'));
  assert.ok(zip.has('mixed/data.pkl'));
  assert.ok(zip.has('mixed/version'));
  assert.equal(dec.decode(zip.read('mixed/version')).trim(), '3');
});

for (const zip64 of [false, true]) {
  test(`zip: stored, deflated and empty entries round-trip (zip64=${zip64})`, () => {
    const zip = readZip(buildZip(entries, { zip64 }));
    assert.deepEqual([...zip.entries.keys()], entries.map((e) => e.name));
    for (const e of entries) assert.deepEqual(zip.read(e.name), e.data, e.name);
  });
}

for (const descriptor of ['short', 'wide'] as const) {
  for (const zip64 of [false, true]) {
    test(`zip: entries with data descriptors as torch writes them (${descriptor}, zip64=${zip64})`, () => {
      const bytes = buildZip(entries, { zip64, descriptor });
      const zip = readZip(bytes);
      for (const e of entries) assert.deepEqual(zip.read(e.name), e.data, e.name);
      const bad = bytes.slice();
      const at = 30 + 'a/data.pkl'.length + entries[0].data.length + 4; // the descriptor's CRC
      bad[at] ^= 1;
      assertError(() => readZip(bad), /^zip: data descriptor of 'a\/data\.pkl' disagrees with the central directory$/);
    });
  }
}

test('zip: the rules of one source of truth (local header, layout, names) each have their error', () => {
  const base = buildZip([entries[0]]);
  const local = (at: number, v: number): Uint8Array => { const b = base.slice(); b[at] = v; return b; };
  assertError(() => readZip(local(30, 0x41)), /^zip: local header of 'a\/data\.pkl' names another file \("A\/data\.pkl"\)$/);
  assertError(() => readZip(local(6, 8)), /^zip: local header of 'a\/data\.pkl' has flags 0x8 but the central directory 0x0$/);
  assertError(() => readZip(local(8, 8)), /^zip: local header of 'a\/data\.pkl' has compression method 8/);
  assertError(() => readZip(local(18, 0)), /^zip: local header of 'a\/data\.pkl' disagrees with the central directory/);
  const padded = new Uint8Array(base.length + 3);
  padded.set(base.subarray(0, base.length - 22)); // a 3-byte gap before the central directory: move it and the end record
  padded.set(base.subarray(base.length - 22), base.length - 22 + 3);
  assertError(() => readZip(padded), /^zip: /);
  for (const name of ['/abs', '../up', 'a\\b', 'a/./b', 'C:/x', 'nul\u0000']) {
    assertError(() => readZip(buildZip([{ name, data: new Uint8Array(1) }])), /^zip: entry ".*" has an unsafe name \(/);
  }
  const bomb = buildZip([{ name: 'a/data.pkl', data: new Uint8Array(1 << 16), deflate: true }]);
  const cd = bomb.length - 22 - 46 - 'a/data.pkl'.length;
  new DataView(bomb.buffer).setUint32(cd + 24, 0xfffffff0, true); // claims 4 GB from ~100 bytes
  assertError(() => readZip(bomb), /more than deflate can \(a zip bomb\?\)$/);
});

test('zip: crc32 matches known values', () => {
  assert.equal(crc32(enc.encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('zip: a corrupted entry fails its CRC check, unless the check is turned off', () => {
  const bytes = buildZip(entries);
  bytes[30 + 'a/data.pkl'.length] ^= 0x20; // first data byte of the first entry
  const zip = readZip(bytes);
  assertError(() => zip.read('a/data.pkl'), /^zip: corrupt zip archive \(entry 'a\/data.pkl' fails its CRC-32 check/);
  assert.equal(dec.decode(zip.read('a/data.pkl', { verifyCrc: false })), 'Hello pickle');
});

test('zip: missing entry, unsupported method and encryption are named', () => {
  assertError(() => readZip(buildZip(entries)).read('nope'), /^zip: archive has no entry 'nope'$/);
  const bytes = buildZip([entries[0]]);
  const cd = bytes.length - 22 - 46 - 'a/data.pkl'.length;
  const methodAt = cd + 10;
  bytes[methodAt] = 12; // bzip2
  assertError(() => readZip(bytes).read('a/data.pkl'), /unsupported compression method 12/);
  bytes[methodAt] = 0;
  bytes[cd + 8] = 1; // encrypted flag
  assertError(() => readZip(bytes), /^zip: entry 'a\/data.pkl' is encrypted$/);
});

test('zip: every truncation of an archive is a one-line error', () => {
  for (const zip64 of [false, true]) {
    const bytes = buildZip(entries, { zip64 });
    for (let n = 0; n < bytes.length; n++) {
      const r = outcome(() => {
        const zip = readZip(bytes.subarray(0, n));
        for (const e of entries) zip.read(e.name);
      }, /^zip: /);
      assert.equal(r.ok, false, `cut at ${n} of ${bytes.length} bytes was accepted`);
    }
  }
  assertError(() => readZip(new Uint8Array(10)), /^zip: truncated zip archive \(central directory not found\)$/);
});

test('zip: every single-byte corruption either errors in one line or reads the same entries', () => {
  for (const zip64 of [false, true]) {
    const bytes = buildZip(entries, { zip64 });
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i] ^= 0x55;
      const r = outcome(() => {
        const zip = readZip(bad);
        return entries.map((e) => zip.read(e.name));
      }, /^zip: /);
      if (r.ok) r.value.forEach((d, j) => assert.deepEqual(d, entries[j].data, `byte ${i} corrupted silently`));
    }
  }
});
