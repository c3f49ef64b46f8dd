/**
 * Mean softmax cross-entropy over a batch, the reference (torch.nn.functional.cross_entropy, reduction='mean',
 * no weights, no label smoothing): loss = mean_n (logsumexp(logits[n]) - logits[n][label[n]]), and its gradient
 * dlogits[n][j] = (softmax(logits[n])[j] - [j == label[n]]) / n, overwritten. Computed in float64.
 */
import type { F32 } from '../backend.js';
import { expectDims, expectLabels, expectLength } from '../validate.js';

export function softmaxCrossEntropy(n: number, k: number, logits: F32, labels: Int32Array, dlogits: F32): number {
  const op = 'softmaxCrossEntropy';
  expectDims(op, { n, k });
  expectLength(op, 'logits', logits, { n, k });
  expectLabels(op, labels, n, k);
  expectLength(op, 'dlogits', dlogits, { n, k });
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const base = r * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[base + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits[base + j] - max);
    const lse = max + Math.log(sum);
    loss += lse - logits[base + labels[r]];
    for (let j = 0; j < k; j++) {
      dlogits[base + j] = (Math.exp(logits[base + j] - lse) - (j === labels[r] ? 1 : 0)) / n;
    }
  }
  return loss / n;
}
