/**
 * The model-choosing flags every command shares: a named variant, a JSON config, and per-field overrides,
 * parsed into the same DenseNetConfig the library takes.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseConfig, resolveConfig, type DenseNetConfig } from '../models/config.js';
import { variantConfig } from '../models/variants.js';

export interface ModelFlags {
  arch?: string;
  config?: string;
  growthRate?: string;
  blockConfig?: string;
  initFeatures?: string;
  bnSize?: string;
  compression?: string;
  bottleneck?: boolean;
  stem?: string;
  inChannels?: string;
  numClasses?: string;
  dropRate?: string;
}

export function addModelOptions(cmd: Command, withArch = true): Command {
  if (withArch) cmd.option('--arch <name>', 'a named variant (see `densenet list`)');
  return cmd
    .option('--config <file.json>', 'a DenseNet config as JSON (growthRate, blockConfig, initFeatures, ...)')
    .option('--growth-rate <k>', 'growth rate k')
    .option('--block-config <list>', 'layers per dense block, e.g. 16,16,16')
    .option('--init-features <n>', 'channels produced by the stem')
    .option('--bn-size <n>', 'bottleneck width multiplier (1x1 conv to bnSize*k channels)')
    .option('--compression <theta>', 'transition compression theta in (0, 1]')
    .option('--no-bottleneck', 'basic layers (BN-ReLU-Conv3x3) without the DenseNet-B bottleneck')
    .option('--stem <kind>', "'imagenet' (7x7/2 conv + max pool) or 'cifar' (one 3x3 conv)")
    .option('--in-channels <n>', 'input channels (1 for grayscale)')
    .option('--num-classes <n>', 'output classes')
    .option('--drop-rate <p>', 'dropout rate after each layer (training only)');
}

function num(flag: string, v: string, integer: boolean): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || (integer && !Number.isInteger(x))) {
    throw new Error(`--${flag} expects ${integer ? 'an integer' : 'a number'}, got '${v}'`);
  }
  return x;
}

/**
 * Base config from `name` (positional), --arch or --config, then field overrides from flags. `fromData`
 * (input channels and classes of a data set) overrides a named variant's defaults but not a config file or flags.
 */
export function modelConfigFrom(flags: ModelFlags, name?: string, fromData: Partial<DenseNetConfig> = {}): DenseNetConfig {
  const arch = name ?? flags.arch;
  if (arch !== undefined && flags.config !== undefined) throw new Error('give a model name or --config, not both');
  let base: Partial<DenseNetConfig>;
  if (flags.config !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.config, 'utf8');
    } catch (e) {
      throw new Error(`cannot read ${flags.config}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const file = JSON.parse(text) as Partial<DenseNetConfig>; // validated below by parseConfig
    base = { ...parseConfig(text, flags.config), ...fromData, ...file };
  } else if (arch !== undefined) {
    base = { ...variantConfig(arch), ...fromData };
  } else if (flags.blockConfig !== undefined) {
    base = { ...fromData };
  } else {
    throw new Error('no model given: name a variant (see `densenet list`), or pass --config file.json or --block-config');
  }
  const o: Partial<DenseNetConfig> = { ...base };
  if (flags.growthRate !== undefined) o.growthRate = num('growth-rate', flags.growthRate, true);
  if (flags.blockConfig !== undefined) o.blockConfig = flags.blockConfig.split(',').map((s) => num('block-config', s, true));
  if (flags.initFeatures !== undefined) o.initFeatures = num('init-features', flags.initFeatures, true);
  if (flags.bnSize !== undefined) o.bnSize = num('bn-size', flags.bnSize, true);
  if (flags.compression !== undefined) o.compression = num('compression', flags.compression, false);
  if (flags.bottleneck === false) o.bottleneck = false;
  if (flags.stem !== undefined) o.stem = flags.stem as DenseNetConfig['stem'];
  if (flags.inChannels !== undefined) o.inChannels = num('in-channels', flags.inChannels, true);
  if (flags.numClasses !== undefined) o.numClasses = num('num-classes', flags.numClasses, true);
  if (flags.dropRate !== undefined) o.dropRate = num('drop-rate', flags.dropRate, false);
  return resolveConfig(o);
}

/** Parses `CxHxW` (e.g. 3x224x224). */
export function parseInputShape(s: string): [number, number, number] {
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(s.trim());
  if (!m) throw new Error(`--input expects CxHxW such as 3x224x224, got '${s}'`);
  const dims = [Number(m[1]), Number(m[2]), Number(m[3])] as [number, number, number];
  if (dims.some((d) => d < 1)) throw new Error(`--input dimensions must be positive, got '${s}'`);
  return dims;
}
