/**
 * `densenet gradcam <image> (--weights FILE | --pretrained NAME) [--class C] [--alpha 0.5] --out heat.png`: the
 * image as the model saw it (its own preprocessing) with the Grad-CAM map of one class (vision/gradcam.ts, from
 * the last dense block) blended over it in the jet colormap, written as PNG with sharp. Prints the class used,
 * its label and probability, and the output path.
 */
import { getBackend } from '../backend/select.js';
import { DenseNet } from '../models/densenet.js';
import { Tensor } from '../tensor/tensor.js';
import { overlayHeat } from '../vision/colormap.js';
import { gradCam } from '../vision/gradcam.js';
import { loadImage } from '../vision/preprocess.js';
import { loadModelForUse, type WeightsFlags } from './load-model.js';

export interface GradcamFlags extends WeightsFlags {
  class?: string;
  alpha: string;
  out?: string;
  backend?: string;
}

export async function runGradcam(image: string, f: GradcamFlags): Promise<void> {
  if (f.out === undefined) throw new Error('gradcam: --out FILE is required (the PNG to write)');
  const alpha = Number(f.alpha);
  if (f.alpha.trim() === '' || !(alpha >= 0 && alpha <= 1)) throw new Error(`gradcam: --alpha must be a number in [0, 1], got '${f.alpha}'`);
  let classIndex: number | undefined;
  if (f.class !== undefined) {
    classIndex = Number(f.class);
    if (f.class.trim() === '' || !Number.isInteger(classIndex)) throw new Error(`gradcam: --class expects a class index, got '${f.class}'`);
  }
  const { model, preprocessing, classNames } = await loadModelForUse(f, 'gradcam');
  if (!(model instanceof DenseNet)) throw new Error(`gradcam: explains DenseNet models; this file holds a ${model.family}`);
  if (classIndex !== undefined && !(classIndex >= 0 && classIndex < model.numClasses)) {
    throw new Error(`gradcam: --class ${classIndex} is out of range: the model has ${model.numClasses} classes (0..${model.numClasses - 1})`);
  }
  const backend = await getBackend(f.backend, undefined, { training: true });
  const { input, display } = await loadImage(image, preprocessing);
  const r = gradCam(model, new Tensor(input, [1, ...preprocessing.inputSize]), backend, { classIndex });
  const { width, height } = display;
  if (width !== r.width || height !== r.height) throw new Error(`gradcam: the image is ${width}x${height} but the model saw ${r.width}x${r.height}`);
  const sharp = (await import('sharp')).default;
  const png = overlayHeat(display.data, r.upsampled, width, height, alpha);
  await sharp(png, { raw: { width, height, channels: 3 } }).png().toFile(f.out);
  const how = classIndex === undefined ? 'predicted' : 'asked';
  process.stdout.write(`class ${r.classIndex} (${classNames[r.classIndex]}, ${how}): p=${r.prob.toFixed(4)} logit=${r.score.toFixed(4)}\n`);
  process.stdout.write(`wrote ${f.out} (${width}x${height}, Grad-CAM from ${r.h}x${r.w} features)\n`);
}
