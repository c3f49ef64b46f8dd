/**
 * Building the model a command asks for: from --arch / --config / flags (a new model, its input channels and
 * classes defaulting to the data's), or from a checkpoint's family and config (resume, eval).
 */
import type { DenseNetConfig } from '../models/config.js';
import { DenseNet } from '../models/densenet.js';
import type { BuiltModel } from '../models/factory.js';
import { createResNet, RESNET_VARIANTS } from '../models/variants-resnet.js';
import { modelConfigFrom, type ModelFlags } from './model-options.js';

export { buildModel, type BuiltModel } from '../models/factory.js';

export interface BuildOptions {
  seed: number;
  init: boolean;
  inChannels?: number;
  numClasses?: number;
}

export function isResNetName(name: string | undefined): name is string {
  return name !== undefined && Object.hasOwn(RESNET_VARIANTS, name);
}

export function modelFromFlags(flags: ModelFlags, o: BuildOptions, name?: string): BuiltModel {
  const arch = name ?? flags.arch;
  if (isResNetName(arch)) {
    // a ResNet baseline: only the input channels and classes are settable from flags
    const num = (v: string | undefined, d: number | undefined): number | undefined => (v !== undefined ? Number(v) : d);
    const overrides: { numClasses?: number; inChannels?: number } = {};
    const nc = num(flags.numClasses, o.numClasses);
    const ic = num(flags.inChannels, o.inChannels);
    if (nc !== undefined) overrides.numClasses = nc;
    if (ic !== undefined) overrides.inChannels = ic;
    return { model: createResNet(arch, overrides, o.seed, { init: o.init }), arch };
  }
  const fromData: Partial<DenseNetConfig> = {};
  if (o.inChannels !== undefined) fromData.inChannels = o.inChannels;
  if (o.numClasses !== undefined) fromData.numClasses = o.numClasses;
  const config = modelConfigFrom(flags, name, fromData);
  return { model: new DenseNet(config, o.seed, { init: o.init }), arch: arch ?? null };
}

/** null when two model configs describe the same network, else the first differing fields. */
export function describeConfigDifference(asked: Readonly<Record<string, unknown>>, have: Readonly<Record<string, unknown>>): string | null {
  const keys = [...new Set([...Object.keys(asked), ...Object.keys(have)])];
  const diff = keys.filter((k) => JSON.stringify(asked[k]) !== JSON.stringify(have[k]));
  if (diff.length === 0) return null;
  return diff.slice(0, 4).map((k) => `${k}: asked ${JSON.stringify(asked[k])}, checkpoint has ${JSON.stringify(have[k])}`).join('; ');
}
