/**
 * Writes web/samples.json: the first Fashion-MNIST test image of each class (28x28 uint8, white on black, as the
 * IDX file stores it; base64) with its label and index in t10k, for the demo page's example buttons and the
 * browser test. Run by hand: node web/make-samples.mjs [dir]  (default /usr/share/datasets/fashion-mnist).
 * Fashion-MNIST is MIT-licensed (Zalando Research).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

const dir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const images = gunzipSync(readFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz')));
const labels = gunzipSync(readFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz')));
const seen = new Map();
for (let i = 0; i < labels.length - 8 && seen.size < 10; i++) {
  const label = labels[8 + i];
  if (!seen.has(label)) seen.set(label, i);
}
const samples = [...seen].sort((a, b) => a[0] - b[0]).map(([label, index]) => ({
  index,
  label,
  pixels: Buffer.from(images.subarray(16 + index * 784, 16 + (index + 1) * 784)).toString('base64'),
}));
writeFileSync(path.join(import.meta.dirname, 'samples.json'), JSON.stringify({ source: 'Fashion-MNIST t10k', width: 28, height: 28, samples }, null, 1) + '\n');
console.log(`web/samples.json: ${samples.length} images (t10k indices ${samples.map((s) => s.index).join(', ')})`);
