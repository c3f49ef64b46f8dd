/**
 * Preprocessing 16 images with torchvision's ImageNet preset (the 5 committed photos repeated), after decoding:
 * resize + centre crop (Pillow's filter, vision/resample.ts) and normalise, warm, medians of 12 after 3 warm-ups.
 * `--baseline DIR` also times DIR's src/vision (another checkout), interleaved rep by rep.
 * Usage: node --import tsx bench/preprocess.ts [--baseline /path/to/checkout]
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as current from '../src/vision/preprocess-pixels.js';
import { decodeImage } from '../src/vision/image.js';
import { IMAGENET_PRESET } from '../src/vision/preprocess-spec.js';
import { median, ROOT } from './lib.js';

type Pixels = typeof current;
const args = process.argv.slice(2);
const baseline = args.includes('--baseline') ? args[args.indexOf('--baseline') + 1] : undefined;
const versions: [string, Pixels][] = [['this tree', current]];
if (baseline !== undefined) versions.unshift([`baseline ${baseline}`, (await import(pathToFileURL(join(baseline, 'src/vision/preprocess-pixels.ts')).href)) as Pixels]);

const photos = `${ROOT}test/fixtures/photos/`;
const names = readdirSync(photos).sort();
const images = await Promise.all(Array.from({ length: 16 }, (_, i) => decodeImage(photos + names[i % names.length], 3)));
const times = versions.map((): [number[], number[]] => [[], []]);
for (let r = 0; r < 15; r++) {
  versions.forEach(([, v], i) => {
    const a = performance.now();
    const pixels = images.map((img) => v.resizeAndCrop(img, IMAGENET_PRESET));
    const b = performance.now();
    for (const p of pixels) v.finish(p, IMAGENET_PRESET);
    const c = performance.now();
    if (r >= 3) { times[i][0].push(b - a); times[i][1].push(c - b); }
  });
}
versions.forEach(([name], i) => {
  console.log(`${name}: resize+crop ${median(times[i][0]).toFixed(1)} ms, normalise ${median(times[i][1]).toFixed(1)} ms (16 images, medians of 12)`);
});
