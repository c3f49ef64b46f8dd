/**
 * State-dict keys: normalising DataParallel's `module.` and pre-0.3 torchvision DenseNet names (`norm.1` -> `norm1`).
 * Not a loader: copies nothing (the strict check lives with the model, src/nn/state-dict.ts).
 * Rename rule: torchvision/models/densenet.py `_load_state_dict`.
 */
import type { Tensor } from '../tensor/tensor.js';

// torchvision's own pattern: denselayerN.(norm|relu|conv).(1|2).(param) -> denselayerN.(norm|relu|conv)(1|2).(param)
const LEGACY_DENSELAYER = /^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$/;

export function normalizeKey(key: string): string {
  const k = key.startsWith('module.') ? key.slice('module.'.length) : key;
  const m = LEGACY_DENSELAYER.exec(k);
  return m ? m[1] + m[2] : k;
}

/** Renames every key (see normalizeKey); two keys that end up with the same name are an error. */
export function normalizeStateDict(map: Map<string, Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const from = new Map<string, string>();
  for (const [key, t] of map) {
    const k = normalizeKey(key);
    const prev = from.get(k);
    if (prev !== undefined) throw new Error(`state_dict: keys '${prev}' and '${key}' both normalise to '${k}'`);
    from.set(k, key);
    out.set(k, t);
  }
  return out;
}
