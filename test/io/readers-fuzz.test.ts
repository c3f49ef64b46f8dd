/**
 * Property-based tests (fast-check): valid files of every format (safetensors, zip .pth, legacy .pth, IDX raw and
 * gzipped, CIFAR binary, JSON config) are mutated by byte flips, insertions, deletions and truncations, thousands of
 * times each; every run must end in success or a FormatError, never another exception or a hang, and the process's
 * peak memory must stay bounded (max RSS, read at the end). The seed is fixed (FUZZ_SEED overrides it, FUZZ_RUNS
 * the run count) so CI replays the same inputs; a failure prints the seed and the shrunk counterexample.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { checkCifarBatch } from '../../src/data/cifar.js';
import { parseIdx } from '../../src/data/idx.js';
import { FormatError } from '../../src/io/format-error.js';
import { readPth } from '../../src/io/pth.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { readZip } from '../../src/io/zip.js';
import { parseConfig } from '../../src/models/config.js';
import { fixtureBytes } from './fixtures.js';
import { buildZip } from './zip-builder.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 5000);
const rssBefore = process.resourceUsage().maxRSS;

type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'truncate'; at: number };

/** Positions are taken modulo the current length (+1), so one arbitrary fits every file. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 0xff, 0x7f, 0x80, 0x2e, 0x7b) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
) as fc.Arbitrary<Mutation>;

function apply(base: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = base;
  for (const m of ms) {
    const at = m.at % (b.length + 1);
    if (m.kind === 'flip' || m.kind === 'set') {
      if (b.length === 0) continue;
      const i = Math.min(at, b.length - 1);
      b = b.slice();
      b[i] = m.kind === 'flip' ? b[i] ^ m.xor : m.value;
    } else if (m.kind === 'insert') {
      const out = new Uint8Array(b.length + m.bytes.length);
      out.set(b.subarray(0, at));
      out.set(m.bytes, at);
      out.set(b.subarray(at), at + m.bytes.length);
      b = out;
    } else if (m.kind === 'delete') {
      const tail = b.subarray(Math.min(b.length, at + m.count));
      const out = new Uint8Array(at + tail.length);
      out.set(b.subarray(0, at));
      out.set(tail, at);
      b = out;
    } else {
      b = b.subarray(0, at);
    }
  }
  return b;
}

function idxFile(dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  out.set([0, 0, 8, dims.length]);
  const dv = new DataView(out.buffer);
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

const idx = idxFile([3, 4, 4], Uint8Array.from({ length: 48 }, (_, i) => i));
const cifar = new Uint8Array(2 * 3073);
cifar[0] = 3;
cifar[3073] = 9;
const config = new TextEncoder().encode(JSON.stringify({ growthRate: 12, blockConfig: [6, 12, 24, 16], compression: 0.5, stem: 'cifar' }));

// data.pkl of a torch.save archive, mutated and then wrapped again with valid CRCs, so the mutations reach the
// unpickler and the tensor checks instead of stopping at the zip's CRC-32
const torchZip = readZip(fixtureBytes('mixed.pth'));
const storages = [...torchZip.entries.keys()].filter((n) => n !== 'mixed/data.pkl').map((n) => ({ name: n, data: torchZip.read(n) }));
const rewrap = (pkl: Uint8Array): Uint8Array => buildZip([{ name: 'mixed/data.pkl', data: pkl }, ...storages]);
// the JSON header of a safetensors file, mutated and then given its new length, so mutations reach the rules
const st = fixtureBytes('mixed.safetensors');
const stHeaderLength = Number(new DataView(st.buffer, st.byteOffset).getBigUint64(0, true));
const stData = st.subarray(8 + stHeaderLength);
function reheader(header: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + header.length + stData.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(stData, 8 + header.length);
  return out;
}

const FORMATS: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
  ['torch data.pkl (re-zipped with valid CRCs)', torchZip.read('mixed/data.pkl').slice(), (b) => readPth(rewrap(b))],
  ['safetensors JSON header (length fixed up)', st.slice(8, 8 + stHeaderLength), (b) => readSafetensors(reheader(b))],
  ['safetensors (mixed.safetensors)', fixtureBytes('mixed.safetensors'), (b) => readSafetensors(b)],
  ['zip .pth (mixed.pth, torch.save)', fixtureBytes('mixed.pth'), (b) => readPth(b)],
  ['legacy .pth (mixed_legacy.pth)', fixtureBytes('mixed_legacy.pth'), (b) => readPth(b)],
  ['IDX [3,4,4]', idx, (b) => parseIdx(b, 'fuzz.idx')],
  ['IDX gzipped', new Uint8Array(gzipSync(idx)), (b) => parseIdx(b, 'fuzz.idx.gz')],
  ['CIFAR-10 binary, 2 records', cifar, (b) => checkCifarBatch(b, 'fuzz.bin', { kind: 'cifar10', header: 1, labelAt: 0, numClasses: 10 })],
  ['JSON config', config, (b) => parseConfig(new TextDecoder().decode(b), 'fuzz.json')],
];

for (const [name, base, read] of FORMATS) {
  test(`fuzz ${name}: ${RUNS} mutated or truncated copies end in success or FormatError (seed ${SEED})`, { timeout: 120_000 }, (t) => {
    read(base); // the unmutated file is valid
    let rejected = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        try {
          read(apply(base, ms));
        } catch (e) {
          if (!(e instanceof FormatError)) throw new Error(`not a FormatError: ${String(e)}\n${(e as Error)?.stack ?? ''}`);
          assert.ok(!e.message.includes('\n'), e.message);
          rejected++;
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    assert.ok(rejected > 0, 'no mutation was rejected: the harness is not reaching the reader');
    t.diagnostic(`${rejected} rejected with FormatError, ${RUNS - rejected} accepted`);
  });
}

test('fuzz: peak memory stayed bounded (no allocation of what a file merely claims)', () => {
  const grewMiB = (process.resourceUsage().maxRSS - rssBefore) / 1024;
  assert.ok(grewMiB < 512, `peak RSS grew by ${grewMiB.toFixed(0)} MiB while fuzzing`);
});
