/** Loading the committed PyTorch fixtures (test/fixtures/models, written by reference/make_fixtures.py). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../src/io/safetensors.js';
import type { DenseNetConfig } from '../../src/models/config.js';
import type { Tensor } from '../../src/tensor/tensor.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface ModelFixture {
  config: Partial<DenseNetConfig> & Pick<DenseNetConfig, 'blockConfig'>;
  /** the state_dict, torchvision names */
  state: Map<string, Tensor>;
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** The twin's config uses bnSize null for "no bottleneck"; ours has an explicit flag. */
export function loadModelFixture(file: string): ModelFixture {
  const { tensors, metadata } = readSafetensors(readFileSync(FIXTURES + 'models/' + file));
  const raw = JSON.parse(metadata.config) as Omit<DenseNetConfig, 'bnSize' | 'bottleneck'> & { bnSize: number | null };
  const config = { ...raw, bottleneck: raw.bnSize !== null, bnSize: raw.bnSize ?? 4 };
  const state = new Map<string, Tensor>();
  for (const [k, v] of tensors) if (k.startsWith('state.')) state.set(k.slice('state.'.length), v);
  return { config, state, tensors, metadata };
}

export function get(f: ModelFixture, name: string): Tensor {
  const t = f.tensors.get(name);
  if (t === undefined) throw new Error(`fixture has no tensor '${name}'`);
  return t;
}
