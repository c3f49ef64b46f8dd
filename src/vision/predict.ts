/**
 * Class probabilities from logits: softmax per row and the k most probable classes, for a batch. Pure (no I/O,
 * browser-safe). Softmax is computed in float64 with the row maximum subtracted (exp never overflows); ties in
 * probability keep the lower class index first.
 */
import type { Tensor } from '../tensor/tensor.js';

export interface ClassProb {
  index: number;
  label: string;
  prob: number;
}

/** logits [N, K] -> probabilities [N][K] (float64). */
export function softmaxRows(logits: Tensor): Float64Array[] {
  if (logits.shape.length !== 2) throw new Error(`softmax: logits must be [N, K], got [${logits.shape.join(', ')}]`);
  const [n, k] = logits.shape;
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const row = logits.data.subarray(i * k, (i + 1) * k);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    const p = new Float64Array(k);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += p[j] = Math.exp(row[j] - max);
    for (let j = 0; j < k; j++) p[j] /= sum;
    out.push(p);
  }
  return out;
}

/** The `k` most probable classes of each row, most probable first (k is clamped to the number of classes). */
export function topK(logits: Tensor, k: number, classNames: readonly string[]): ClassProb[][] {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`topK: k must be a positive integer, got ${k}`);
  const classes = logits.shape[1];
  if (classNames.length !== classes) throw new Error(`topK: ${classNames.length} class names for ${classes} classes`);
  return softmaxRows(logits).map((p) => {
    const order = Array.from({ length: classes }, (_, j) => j).sort((a, b) => p[b] - p[a] || a - b);
    return order.slice(0, Math.min(k, classes)).map((index) => ({ index, label: classNames[index], prob: p[index] }));
  });
}
