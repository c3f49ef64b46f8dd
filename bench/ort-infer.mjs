#!/usr/bin/env node
/**
 * The peer of `densenet infer` on images for `npm run bench -- --only infer`: an onnxruntime-node script that does
 * what a user of onnxruntime would write. Start, load the .onnx, decode and preprocess the images with sharp the
 * torchvision way (Resize(256) with a bilinear kernel: short side 256, long side int(256 * long / short); CenterCrop
 * 224 at int(round((h - 224) / 2)); ToTensor + Normalize with ImageNet's mean/std), run them in one batch, write the
 * logits [N, 1000] to a safetensors file. Not exactly torchvision's pixels (libvips' bilinear is not Pillow's
 * antialiased one); the work is the same.
 * Usage: node bench/ort-infer.mjs MODEL.onnx OUT.safetensors IMAGE... [--threads N] [--batch-size N]
 * Prints one JSON line of phase times (ms since process start) on stdout.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const t = { start: performance.now() };
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const threads = opt('--threads', 2);
const batchSize = opt('--batch-size', Infinity);
const [modelPath, outPath, ...images] = args;
if (!modelPath || !outPath || images.length === 0) {
  process.stderr.write('usage: ort-infer.mjs MODEL.onnx OUT.safetensors IMAGE... [--threads N] [--batch-size N]\n');
  process.exit(2);
}

const [{ default: ort }, { default: sharp }] = await Promise.all([import('onnxruntime-node'), import('sharp')]);
t.imports = performance.now();

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const S = 256;
const CROP = 224;
const PER = 3 * CROP * CROP;

/** One image -> [3, 224, 224] float32 into `out`. */
async function preprocess(file, out) {
  const { width: w, height: h } = await sharp(file).metadata();
  const [rw, rh] = w <= h ? [S, Math.trunc((S * h) / w)] : [Math.trunc((S * w) / h), S];
  const top = Math.round((rh - CROP) / 2);
  const left = Math.round((rw - CROP) / 2);
  const px = await sharp(file).removeAlpha().toColourspace('srgb')
    .resize(rw, rh, { kernel: 'linear', fit: 'fill' })
    .extract({ left, top, width: CROP, height: CROP })
    .raw().toBuffer();
  const plane = CROP * CROP;
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) out[c * plane + p] = (px[3 * p + c] / 255 - MEAN[c]) / STD[c];
  }
}

const sessionP = ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
});
const input = new Float32Array(images.length * PER);
await Promise.all(images.map((f, i) => preprocess(f, input.subarray(i * PER, (i + 1) * PER))));
t.preprocessed = performance.now();
const session = await sessionP;
t.loaded = performance.now();

const n = images.length;
let logits = null;
let k = 0;
const step = Math.min(batchSize, n);
for (let i = 0; i < n; i += step) {
  const m = Math.min(step, n - i);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.subarray(i * PER, (i + m) * PER), [m, 3, CROP, CROP]) };
  const out = (await session.run(feeds))[session.outputNames[0]];
  k = out.dims[1];
  logits ??= new Float32Array(n * k);
  logits.set(out.data, i * k);
}
t.forward = performance.now();

// safetensors: 8-byte header length, JSON header padded to 8 bytes, then the data
const header = JSON.stringify({ __metadata__: { files: JSON.stringify(images) }, logits: { dtype: 'F32', shape: [n, k], data_offsets: [0, 4 * n * k] } });
const json = Buffer.from(header.padEnd(Math.ceil(header.length / 8) * 8, ' '));
const file = Buffer.alloc(8 + json.length + 4 * n * k);
file.writeBigUInt64LE(BigInt(json.length), 0);
json.copy(file, 8);
Buffer.from(logits.buffer, logits.byteOffset, logits.byteLength).copy(file, 8 + json.length);
writeFileSync(outPath, file);
t.written = performance.now();
process.stdout.write(`${JSON.stringify({ ...t, uptime: process.uptime() * 1000 })}\n`);
