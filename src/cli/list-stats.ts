/**
 * Parameter counts and MACs of the named variants, as `densenet list` prints them, each keyed by the variant's
 * config (JSON). Written by `node --import tsx scripts/list-stats.ts`; test/cli/list.test.ts checks it.
 */
import type { ListStats } from './list.js';

export const LIST_STATS: Readonly<Record<string, ListStats>> = {
  'densenet121': { key: '{"growthRate":32,"blockConfig":[6,12,24,16],"initFeatures":64,"bottleneck":true,"bnSize":4,"compression":0.5,"numClasses":1000,"stem":"imagenet"}', params: 7978856, macs: 2834161664, input: '3x224x224' },
  'densenet169': { key: '{"growthRate":32,"blockConfig":[6,12,32,32],"initFeatures":64,"bottleneck":true,"bnSize":4,"compression":0.5,"numClasses":1000,"stem":"imagenet"}', params: 14149480, macs: 3359843328, input: '3x224x224' },
  'densenet201': { key: '{"growthRate":32,"blockConfig":[6,12,48,32],"initFeatures":64,"bottleneck":true,"bnSize":4,"compression":0.5,"numClasses":1000,"stem":"imagenet"}', params: 20013928, macs: 4291365888, input: '3x224x224' },
  'densenet161': { key: '{"growthRate":48,"blockConfig":[6,12,36,24],"initFeatures":96,"bottleneck":true,"bnSize":4,"compression":0.5,"numClasses":1000,"stem":"imagenet"}', params: 28681000, macs: 7727907072, input: '3x224x224' },
  'densenet264': { key: '{"growthRate":32,"blockConfig":[6,12,64,48],"initFeatures":64,"bottleneck":true,"bnSize":4,"compression":0.5,"numClasses":1000,"stem":"imagenet"}', params: 33337704, macs: 5751653376, input: '3x224x224' },
  'densenet40': { key: '{"growthRate":12,"blockConfig":[12,12,12],"initFeatures":16,"bottleneck":false,"compression":1,"numClasses":10,"stem":"cifar"}', params: 1019722, macs: 264812928, input: '3x32x32' },
  'densenet100-k12': { key: '{"growthRate":12,"blockConfig":[32,32,32],"initFeatures":16,"bottleneck":false,"compression":1,"numClasses":10,"stem":"cifar"}', params: 6979642, macs: 1769516448, input: '3x32x32' },
  'densenet100-k24': { key: '{"growthRate":24,"blockConfig":[32,32,32],"initFeatures":16,"bottleneck":false,"compression":1,"numClasses":10,"stem":"cifar"}', params: 27249082, macs: 6889347744, input: '3x32x32' },
  'densenet-bc-100': { key: '{"growthRate":12,"blockConfig":[16,16,16],"initFeatures":24,"bottleneck":true,"bnSize":4,"compression":0.5,"numClasses":10,"stem":"cifar"}', params: 769162, macs: 287929692, input: '3x32x32' },
  'densenet-bc-250': { key: '{"growthRate":24,"blockConfig":[41,41,41],"initFeatures":48,"bottleneck":true,"bnSize":4,"compression":0.5,"numClasses":10,"stem":"cifar"}', params: 15324406, macs: 5418785724, input: '3x32x32' },
  'densenet-bc-190': { key: '{"growthRate":40,"blockConfig":[31,31,31],"initFeatures":80,"bottleneck":true,"bnSize":4,"compression":0.5,"numClasses":10,"stem":"cifar"}', params: 25624430, macs: 9301945740, input: '3x32x32' },
  'resnet20': { key: '{"kind":"cifar-preact","depth":20}', params: 272282, macs: 40813184, input: '3x32x32' },
  'resnet56': { key: '{"kind":"cifar-preact","depth":56}', params: 855578, macs: 125747840, input: '3x32x32' },
  'resnet110': { key: '{"kind":"cifar-preact","depth":110}', params: 1730522, macs: 253149824, input: '3x32x32' },
  'resnet164': { key: '{"kind":"cifar-preact","depth":164,"block":"bottleneck"}', params: 1703258, macs: 247646720, input: '3x32x32' },
  'resnet1001': { key: '{"kind":"cifar-preact","depth":1001,"block":"bottleneck"}', params: 10327706, macs: 1490995712, input: '3x32x32' },
  'resnet18': { key: '{"kind":"imagenet","depth":18}', params: 11689512, macs: 1814073344, input: '3x224x224' },
  'resnet50': { key: '{"kind":"imagenet","depth":50}', params: 25557032, macs: 4089184256, input: '3x224x224' },
};
