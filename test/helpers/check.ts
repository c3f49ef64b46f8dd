/**
 * Tensor comparison for tests (after llm.c's check_tensor): on failure the message gives the max absolute and
 * relative difference, where it occurred, and both values, so a failing parity test says what went wrong.
 */
import assert from 'node:assert/strict';

export interface CloseReport {
  maxAbs: number;
  maxRel: number;
  at: number;
}

export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>): CloseReport {
  assert.equal(actual.length, expected.length, `length ${actual.length} != expected ${expected.length}`);
  let maxAbs = 0;
  let maxRel = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const d = Math.abs(a - e);
    if (Number.isNaN(d)) return { maxAbs: NaN, maxRel: NaN, at: i };
    if (d > maxAbs) {
      maxAbs = d;
      at = i;
    }
    const r = d / Math.max(Math.abs(e), 1e-12);
    if (d > 0 && r > maxRel) maxRel = r;
  }
  return { maxAbs, maxRel, at };
}

/** Asserts max |actual - expected| <= atol + rtol * |expected| elementwise. */
export function assertClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, atol = 1e-4, rtol = 0,
): CloseReport {
  const rep = compare(actual, expected);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= atol + rtol * Math.abs(expected[i]))) {
      assert.fail(
        `${label}: element ${i} is ${actual[i]}, expected ${expected[i]} (|diff| ${d.toExponential(3)}); ` +
          `max abs diff ${rep.maxAbs.toExponential(3)} at ${rep.at}, max rel ${rep.maxRel.toExponential(3)}, ` +
          `atol ${atol} rtol ${rtol}`,
      );
    }
  }
  return rep;
}
