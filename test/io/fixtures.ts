/**
 * Shared helpers for the io tests: the PyTorch-written fixtures in test/fixtures/io (made by
 * reference/make_io_fixtures.py), exact comparison with expected.json, and the one-line-error check.
 * Not a test file itself (no .test.ts suffix).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../src/tensor/tensor.js';

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/io/', import.meta.url));

export function fixturePath(name: string): string {
  return FIXTURE_DIR + name;
}

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(name)));
}

export interface ExpectedTensor { shape: number[]; values: number[] }
export type ExpectedSet = Record<string, ExpectedTensor>;
export const expected = JSON.parse(readFileSync(fixturePath('expected.json'), 'utf8')) as {
  mixed: ExpectedSet; densenet: ExpectedSet;
};

/** The mixed tensors without `drop` (the pth fixtures have no int8 tensor: torch.CharStorage is not allowed). */
export function without(set: ExpectedSet, ...drop: string[]): ExpectedSet {
  return Object.fromEntries(Object.entries(set).filter(([k]) => !drop.includes(k)));
}

/** Same names in the same order, same shapes, bit-identical values. */
export function assertExact(got: Map<string, Tensor>, want: ExpectedSet, label: string): void {
  assert.deepEqual([...got.keys()], Object.keys(want), `${label}: tensor names`);
  for (const [name, e] of Object.entries(want)) {
    const t = got.get(name) as Tensor;
    assert.deepEqual([...t.shape], e.shape, `${label}: shape of ${name}`);
    for (let i = 0; i < e.values.length; i++) {
      if (!Object.is(t.data[i], e.values[i])) {
        assert.fail(`${label}: ${name}[${i}] is ${t.data[i]}, expected ${e.values[i]}`);
      }
    }
  }
}

/** Runs fn; if it throws, the error must be an Error with a one-line message matching `re` (if given). */
export function outcome<T>(fn: () => T, re?: RegExp): { ok: true; value: T } | { ok: false; message: string } {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    assert.ok(e instanceof Error, `threw a non-Error: ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `error message spans lines: ${e.message}`);
    if (re) assert.match(e.message, re);
    return { ok: false, message: e.message };
  }
}

/**
 * A corrupted file may load only if what loadStrict checks (names, shapes) changed, or nothing did:
 * with the same names and shapes, every value must be bit-identical.
 */
export function assertErrorOrExact(fn: () => Map<string, Tensor>, want: ExpectedSet, label: string): void {
  const r = outcome(fn);
  if (!r.ok) return;
  const sig = (m: [string, readonly number[]][]): string => m.map(([k, s]) => `${k}[${s.join(',')}]`).join('|');
  const got = sig([...r.value].map(([k, t]) => [k, t.shape]));
  if (got !== sig(Object.entries(want).map(([k, e]) => [k, e.shape]))) return; // loadStrict reports it
  assertExact(r.value, want, `${label} loaded without error, so it must be unchanged`);
}

/** fn must throw an Error whose one-line message matches re (anchors apply to the message itself). */
export function assertError(fn: () => unknown, re: RegExp): string {
  const r = outcome(fn, re);
  assert.equal(r.ok, false, `expected an error matching ${re}`);
  return r.ok ? '' : r.message;
}
