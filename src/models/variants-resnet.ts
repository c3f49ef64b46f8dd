/**
 * The named ResNets, one line each: the CIFAR pre-activation ResNets DenseNet is compared with (Huang et al. 2017,
 * Table 2: ResNet-110, pre-act ResNet-164 and -1001; He et al. 2016) and torchvision's ImageNet resnet18/resnet50.
 * Parameter counts are asserted in test/models/resnet.test.ts and reference/make_resnet_fixtures.py.
 */
import { ResNet } from './resnet.js';
import { resolveResNetConfig, type ResNetConfig, type ResNetConfigInput } from './resnet-config.js';

export interface ResNetVariant {
  config: ResNetConfigInput;
  description: string;
}

export const RESNET_VARIANTS: Record<string, ResNetVariant> = {
  resnet20: { config: { kind: 'cifar-preact', depth: 20 }, description: 'CIFAR pre-act ResNet-20 (n=3), 16/32/64' },
  resnet56: { config: { kind: 'cifar-preact', depth: 56 }, description: 'CIFAR pre-act ResNet-56 (n=9), 16/32/64' },
  resnet110: { config: { kind: 'cifar-preact', depth: 110 }, description: 'CIFAR pre-act ResNet-110 (n=18), 16/32/64' },
  resnet164: { config: { kind: 'cifar-preact', depth: 164, block: 'bottleneck' }, description: 'CIFAR pre-act ResNet-164 (bottleneck, n=18)' },
  resnet1001: { config: { kind: 'cifar-preact', depth: 1001, block: 'bottleneck' }, description: 'CIFAR pre-act ResNet-1001 (bottleneck, n=111)' },
  resnet18: { config: { kind: 'imagenet', depth: 18 }, description: 'torchvision ResNet-18 (basic, [2,2,2,2])' },
  resnet50: { config: { kind: 'imagenet', depth: 50 }, description: 'torchvision ResNet-50 (bottleneck, [3,4,6,3])' },
};

export function resnetVariantNames(): string[] {
  return Object.keys(RESNET_VARIANTS);
}

/** The resolved config of a named variant with overrides; unknown names get an error listing the known ones. */
export function resnetVariantConfig(name: string, overrides: { numClasses?: number; inChannels?: number } = {}): ResNetConfig {
  const v = Object.hasOwn(RESNET_VARIANTS, name) ? RESNET_VARIANTS[name] : undefined;
  if (v === undefined) throw new Error(`unknown model '${name}' (known ResNets: ${resnetVariantNames().join(', ')})`);
  const o: { numClasses?: number; inChannels?: number } = {};
  if (overrides.numClasses !== undefined) o.numClasses = overrides.numClasses;
  if (overrides.inChannels !== undefined) o.inChannels = overrides.inChannels;
  return resolveResNetConfig({ ...v.config, ...o });
}

/** A named ResNet, initialised from `seed` (torchvision's init scheme, our generator). */
export function createResNet(name: string, overrides: { numClasses?: number; inChannels?: number } = {}, seed = 0, opts: { init?: boolean } = {}): ResNet {
  return new ResNet(resnetVariantConfig(name, overrides), seed, opts);
}
