/**
 * The named DenseNets, one line each with the paper's numbers (Table 1 for ImageNet, Table 2 for CIFAR).
 * ImageNet models are torchvision's; CIFAR ones use the 3x3 stem of Sec. 3 "Implementation details".
 */
import type { DenseNetConfig } from './config.js';

export type VariantConfig = Partial<DenseNetConfig> & Pick<DenseNetConfig, 'blockConfig'>;

const imagenet = (growthRate: number, blockConfig: number[], initFeatures: number): VariantConfig =>
  ({ growthRate, blockConfig, initFeatures, bottleneck: true, bnSize: 4, compression: 0.5, numClasses: 1000, stem: 'imagenet' });
// basic DenseNet (no bottleneck, no compression) and DenseNet-BC (bottleneck, theta = 0.5) for 32x32 inputs
const cifar = (growthRate: number, layers: number, initFeatures: number): VariantConfig =>
  ({ growthRate, blockConfig: [layers, layers, layers], initFeatures, bottleneck: false, compression: 1, numClasses: 10, stem: 'cifar' });
const cifarBC = (growthRate: number, layers: number): VariantConfig =>
  ({ growthRate, blockConfig: [layers, layers, layers], initFeatures: 2 * growthRate, bottleneck: true, bnSize: 4, compression: 0.5, numClasses: 10, stem: 'cifar' });

export interface Variant {
  config: VariantConfig;
  description: string;
}

export const VARIANTS: Record<string, Variant> = {
  densenet121: { config: imagenet(32, [6, 12, 24, 16], 64), description: 'ImageNet DenseNet-BC-121, k=32' },
  densenet169: { config: imagenet(32, [6, 12, 32, 32], 64), description: 'ImageNet DenseNet-BC-169, k=32' },
  densenet201: { config: imagenet(32, [6, 12, 48, 32], 64), description: 'ImageNet DenseNet-BC-201, k=32' },
  densenet161: { config: imagenet(48, [6, 12, 36, 24], 96), description: 'ImageNet DenseNet-BC-161, k=48' },
  densenet264: { config: imagenet(32, [6, 12, 64, 48], 64), description: 'ImageNet DenseNet-BC-264, k=32' },
  densenet40: { config: cifar(12, 12, 16), description: 'CIFAR DenseNet L=40, k=12 (basic)' },
  'densenet100-k12': { config: cifar(12, 32, 16), description: 'CIFAR DenseNet L=100, k=12 (basic)' },
  'densenet100-k24': { config: cifar(24, 32, 16), description: 'CIFAR DenseNet L=100, k=24 (basic)' },
  'densenet-bc-100': { config: cifarBC(12, 16), description: 'CIFAR DenseNet-BC L=100, k=12' },
  'densenet-bc-250': { config: cifarBC(24, 41), description: 'CIFAR DenseNet-BC L=250, k=24' },
  'densenet-bc-190': { config: cifarBC(40, 31), description: 'CIFAR DenseNet-BC L=190, k=40' },
};

export function variantNames(): string[] {
  return Object.keys(VARIANTS);
}

/** The config of a named variant; unknown names get an error listing the known ones. */
export function variantConfig(name: string): VariantConfig {
  const v = Object.hasOwn(VARIANTS, name) ? VARIANTS[name] : undefined;
  if (v === undefined) throw new Error(`unknown model '${name}' (known: ${variantNames().join(', ')})`);
  return { ...v.config, blockConfig: [...v.config.blockConfig] };
}
