/**
 * Checking a state_dict against a model before loading: one error that names every missing key, unexpected
 * key and shape mismatch (PyTorch's load_state_dict reports them together too).
 */
import { shapeStr, type Tensor } from '../tensor/tensor.js';

export interface LoadStrictOptions {
  /** Keys the model has but the file may lack. BatchNorm's `num_batches_tracked` is always optional. */
  optional?: (name: string) => boolean;
  /** Do not report keys the model lacks (non-strict loading). */
  ignoreUnexpected?: boolean;
}

const isBatchCounter = (name: string): boolean => name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked');

function list(items: string[], one: string, many: string): string {
  const shown = items.slice(0, 10).join(', ');
  const more = items.length > 10 ? `, and ${items.length - 10} more` : '';
  return `${items.length} ${items.length === 1 ? one : many} (${shown}${more})`;
}

/**
 * Throws one Error naming every missing key, unexpected key and shape mismatch between the model's
 * parameters (`expected`: name -> shape) and a file's tensors. `num_batches_tracked` is ignored both
 * ways: older files lack it, and a model that does not track it need not reject files that have it.
 */
export function loadStrict(
  expected: Map<string, readonly number[]>, got: Map<string, Tensor>, opts: LoadStrictOptions = {},
): void {
  const missing: string[] = [];
  const mismatched: string[] = [];
  for (const [name, shape] of expected) {
    const t = got.get(name);
    if (!t) {
      if (!isBatchCounter(name) && !opts.optional?.(name)) missing.push(name);
    } else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      mismatched.push(`${name}: file ${shapeStr(t.shape)} vs model ${shapeStr(shape)}`);
    }
  }
  const unexpected = opts.ignoreUnexpected ? [] : [...got.keys()].filter((k) => !expected.has(k) && !isBatchCounter(k));
  const parts: string[] = [];
  if (missing.length) parts.push(list(missing, 'missing key', 'missing keys'));
  if (unexpected.length) parts.push(list(unexpected, 'unexpected key', 'unexpected keys'));
  if (mismatched.length) parts.push(list(mismatched, 'shape mismatch', 'shape mismatches'));
  if (parts.length) throw new Error(`load_state_dict: ${parts.join(', ')}`);
}
