/**
 * DenseNet configuration, named after the paper's symbols in camelCase, with validation that names the
 * offending field. Defaults are torchvision's densenet121 head with DenseNet-BC layers.
 */
import { FormatError } from '../io/format-error.js';

export type Stem = 'imagenet' | 'cifar';

export interface DenseNetConfig {
  /** k: feature maps each layer adds */
  growthRate: number;
  /** layers per dense block */
  blockConfig: number[];
  /** channels the stem produces (2k for DenseNet-BC on CIFAR, 16 for the basic DenseNet, 64 on ImageNet) */
  initFeatures: number;
  /** DenseNet-B: a 1x1 bottleneck convolution to bnSize*k channels before each 3x3 */
  bottleneck: boolean;
  bnSize: number;
  /** theta of DenseNet-C: a transition keeps floor(theta * C) channels (1 = no compression) */
  compression: number;
  /** dropout after each layer's new features, training only */
  dropRate: number;
  numClasses: number;
  inChannels: number;
  /** 'imagenet': 7x7/2 conv, BN-ReLU, 3x3/2 max pool; 'cifar': one 3x3 conv */
  stem: Stem;
}

export const DEFAULT_CONFIG: DenseNetConfig = {
  growthRate: 32,
  blockConfig: [6, 12, 24, 16],
  initFeatures: 64,
  bottleneck: true,
  bnSize: 4,
  compression: 0.5,
  dropRate: 0,
  numClasses: 1000,
  inChannels: 3,
  stem: 'imagenet',
};

const KEYS = Object.keys(DEFAULT_CONFIG) as (keyof DenseNetConfig)[];

/** Fills defaults and validates; throws `config: <field> ...` on the first bad field. */
export function resolveConfig(partial: Partial<DenseNetConfig>): DenseNetConfig {
  for (const key of Object.keys(partial)) {
    if (!(KEYS as string[]).includes(key)) throw new Error(`config: unknown field '${key}' (known: ${KEYS.join(', ')})`);
  }
  const c: DenseNetConfig = { ...DEFAULT_CONFIG, ...partial, blockConfig: [...(partial.blockConfig ?? DEFAULT_CONFIG.blockConfig)] };
  const posInt = (name: keyof DenseNetConfig, v: unknown): void => {
    // bounded so a config cannot ask for a model no machine could allocate (2^24 channels or classes)
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 2 ** 24) {
      throw new Error(`config: ${name} must be a positive integer up to 2^24, got ${JSON.stringify(v)}`);
    }
  };
  posInt('growthRate', c.growthRate);
  posInt('initFeatures', c.initFeatures);
  posInt('bnSize', c.bnSize);
  posInt('numClasses', c.numClasses);
  posInt('inChannels', c.inChannels);
  if (!Array.isArray(c.blockConfig) || c.blockConfig.length === 0) throw new Error('config: blockConfig must list at least one block, e.g. [6,12,24,16]');
  c.blockConfig.forEach((v) => posInt('blockConfig', v));
  if (typeof c.compression !== 'number' || !(c.compression > 0 && c.compression <= 1)) {
    throw new Error(`config: compression (theta) must be in (0, 1], got ${JSON.stringify(c.compression)}`);
  }
  if (typeof c.dropRate !== 'number' || !(c.dropRate >= 0 && c.dropRate < 1)) throw new Error(`config: dropRate must be in [0, 1), got ${JSON.stringify(c.dropRate)}`);
  if (typeof c.bottleneck !== 'boolean') throw new Error(`config: bottleneck must be true or false, got ${JSON.stringify(c.bottleneck)}`);
  if (c.stem !== 'imagenet' && c.stem !== 'cifar') throw new Error(`config: stem must be 'imagenet' or 'cifar', got ${JSON.stringify(c.stem)}`);
  return c;
}

/** A config is a few hundred bytes; anything past this is not one. */
const MAX_CONFIG_CHARS = 1 << 20;

/**
 * Parses a JSON config (from `--config file.json`); unknown fields and wrong types are errors. Every error is a
 * FormatError naming `source`: "<source>: config: <problem>".
 */
export function parseConfig(json: string, source = 'config'): DenseNetConfig {
  const fail = (detail: string): never => { throw new FormatError('config', detail, source); };
  if (json.length > MAX_CONFIG_CHARS) fail(`${json.length} characters is too long for a config (at most ${MAX_CONFIG_CHARS})`);
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    fail(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('expected a JSON object with DenseNet options');
  try {
    return resolveConfig(v as Partial<DenseNetConfig>);
  } catch (e) {
    return fail((e as Error).message.replace(/^config: /, ''));
  }
}
