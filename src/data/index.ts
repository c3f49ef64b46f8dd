/**
 * The data pipeline's public surface (re-exports only): datasets and their readers (IDX, CIFAR, image folders),
 * transforms, the DataLoader and the `--data` resolver. Worker internals (batch.ts, worker-pool.ts) stay private.
 */

export { ArrayDataset, SubsetDataset, fromArrays, subset, splitValidation, type Dataset, type ImageShape } from './dataset.js';
export { loadIdxDir, parseIdx, readIdxFile, FASHION_MNIST_CLASSES, DIGIT_CLASSES, type IdxOptions } from './idx.js';
export { loadCifar10, loadCifar100, CIFAR10_CLASSES, type Cifar100Options } from './cifar.js';
export { loadImageFolder, IMAGE_EXTENSIONS, type ImageFolderOptions } from './image-folder.js';
export {
  computeMeanStd, cropFlip, drawAugment, normalize, randomCrop, randomHorizontalFlip, STATS,
  type AugmentOptions, type SampleAugment,
} from './transforms.js';
export { DataLoader, type Batch, type LoaderOptions } from './loader.js';
export { resolveData, FASHION_MNIST_DIR, type ResolveOptions, type ResolvedData } from './resolve.js';
