import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { commonImageSize, loadImageFolder } from '../../src/data/image-folder.js';
import { resolveData } from '../../src/data/resolve.js';

const tmp = mkdtempSync(join(tmpdir(), 'image-folder-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A solid-colour image of w x h with `channels` (4 = with alpha) encoded as png or jpeg. */
async function solid(path: string, w: number, h: number, rgb: [number, number, number], format: 'png' | 'jpeg', channels: 3 | 4 = 3): Promise<void> {
  const background = channels === 4 ? { r: rgb[0], g: rgb[1], b: rgb[2], alpha: 0.5 } : { r: rgb[0], g: rgb[1], b: rgb[2] };
  const img = sharp({ create: { width: w, height: h, channels, background } });
  writeFileSync(path, await (format === 'png' ? img.png() : img.jpeg({ quality: 95 })).toBuffer());
}

/** A png whose left half is black and right half white (to check centre crops). */
async function halves(path: string, w: number, h: number): Promise<void> {
  const raw = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) for (let x = w / 2; x < w; x++) raw[y * w + x] = 255;
  writeFileSync(path, await sharp(raw, { raw: { width: w, height: h, channels: 1 } }).png().toBuffer());
}

const root = join(tmp, 'pets');
before(async () => {
  for (const c of ['dog', 'cat', 'bird']) mkdirSync(join(root, c), { recursive: true });
  await solid(join(root, 'cat', 'a.png'), 10, 6, [255, 0, 0], 'png');
  await solid(join(root, 'cat', 'b.jpg'), 8, 8, [0, 0, 255], 'jpeg');
  writeFileSync(join(root, 'cat', 'bad.jpg'), Buffer.from('not an image at all'));
  writeFileSync(join(root, 'cat', 'notes.txt'), 'ignored: not an image extension');
  await solid(join(root, 'dog', 'c.png'), 5, 7, [0, 255, 0], 'png', 4);
  mkdirSync(join(root, 'dog', 'nested'));
  await halves(join(root, 'dog', 'nested', 'd.png'), 16, 8);
  await solid(join(root, 'bird', 'e.png'), 4, 4, [10, 20, 30], 'png');
  writeFileSync(join(root, 'bird', 'f.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
});

test('image folder: sorted classes, RGB conversion, alpha dropped, corrupt files skipped with a count', async () => {
  const warnings: string[] = [];
  const progress: number[] = [];
  const ds = await loadImageFolder(root, { height: 4, width: 4, warn: (l) => warnings.push(l), onProgress: (d, t) => progress.push(d / t), concurrency: 2 });
  assert.deepEqual(ds.classNames, ['bird', 'cat', 'dog']);
  assert.equal(ds.size, 5);
  assert.deepEqual(Array.from({ length: 5 }, (_, i) => ds.label(i)), [0, 1, 1, 2, 2]);
  assert.deepEqual([ds.channels, ds.height, ds.width], [3, 4, 4]);
  const px = (i: number): number[] => [0, 1, 2].map((c) => ds.image(i)[c * 16 + 5]);
  assert.deepEqual(px(0), [10, 20, 30]);
  assert.deepEqual(px(1), [255, 0, 0]);
  assert.ok(Math.abs(px(2)[2] - 255) <= 2 && px(2)[0] <= 2, `jpeg blue ${px(2)}`);
  assert.deepEqual(px(3), [0, 255, 0]);
  const g = ds.image(4); // grayscale source -> R = G = B
  assert.deepEqual([g[3], g[16 + 3], g[32 + 3]], [255, 255, 255]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^image-folder: skipped 2 unreadable images \(first: .*\/bird\/f\.png: .+\)$/);
  assert.equal(progress.length, 7);
  assert.equal(progress[6], 1);
});

test('image folder: grayscale, resize shorter side + centre crop, stretch', async () => {
  const gray = await loadImageFolder(root, { channels: 1, height: 4, width: 4, warn: () => undefined });
  assert.equal(gray.channels, 1);
  assert.equal(gray.image(0).length, 16);
  assert.equal(gray.image(1)[5], 76); // PIL convert('L') of pure red: round(255 * 0.299)
  assert.equal(gray.image(0)[5], Math.round(0.299 * 10 + 0.587 * 20 + 0.114 * 30));
  // d.png (16x8, left black / right white): resize shorter side to 8 keeps 16x8, crop 8x8 centre -> 4 black, 4 white.
  const crop = await loadImageFolder(root, { channels: 1, height: 8, width: 8, resize: 8, warn: () => undefined });
  assert.deepEqual([...crop.image(4).subarray(0, 8)], [0, 0, 0, 0, 255, 255, 255, 255]);
  const stretch = await loadImageFolder(root, { channels: 1, height: 8, width: 4, resize: 'stretch', warn: () => undefined });
  const row = [...stretch.image(4).subarray(0, 4)];
  assert.ok(row[0] < 30 && row[3] > 225, `stretched row ${row}`);
});

test('image folder: missing folder, no class folders, no images, all unreadable', async () => {
  await assert.rejects(loadImageFolder(join(tmp, 'nope'), { height: 4, width: 4 }), /image-folder: folder not found: .*nope/);
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  await assert.rejects(loadImageFolder(empty, { height: 4, width: 4 }), /image-folder: no class sub-folders in .*empty/);
  mkdirSync(join(empty, 'a'));
  mkdirSync(join(empty, 'b'));
  await assert.rejects(loadImageFolder(empty, { height: 4, width: 4 }), /image-folder: no images \(.jpg .jpeg .png .*\) in the 2 class folders of/);
  writeFileSync(join(empty, 'a', 'x.png'), 'garbage');
  await assert.rejects(loadImageFolder(empty, { height: 4, width: 4 }), /none of the 1 images .* could be read \(first: .*x.png: /);
});

test('resolveData: image folder with train/ and val/ splits shares the training class list', async () => {
  const split = join(tmp, 'split');
  for (const [s, c] of [['train', 'a'], ['train', 'b'], ['val', 'b']]) {
    mkdirSync(join(split, s, c), { recursive: true });
    await solid(join(split, s, c, 'x.png'), 6, 6, [1, 2, 3], 'png');
  }
  const r = await resolveData(split, { image: { height: 6, width: 6 } });
  assert.deepEqual(r.train.classNames, ['a', 'b']);
  assert.equal(r.test?.size, 1);
  assert.equal(r.test?.label(0), 1);
  await assert.rejects(resolveData(join(tmp, 'missing')), /neither a known dataset .* nor an existing image folder/);
  await assert.rejects(resolveData('fashion-mnist', { fashionMnistDir: join(tmp, 'nofm') }), /install it with: apt-get install dataset-fashion-mnist/);
});

test('commonImageSize: the one size of every image (headers only, unreadable files passed over) or null; resolveData defaults to it', async () => {
  assert.equal(await commonImageSize(root), null); // pets: 10x6, 8x8, 5x7, ...
  const same = join(tmp, 'same');
  for (const [c, name] of [['a', 'x.png'], ['a', 'y.jpg'], ['b', 'z.png']]) {
    mkdirSync(join(same, c), { recursive: true });
    await solid(join(same, c, name), 20, 14, [9, 9, 9], name.endsWith('.png') ? 'png' : 'jpeg');
  }
  writeFileSync(join(same, 'b', 'broken.png'), 'not a png');
  assert.deepEqual(await commonImageSize(same), { height: 14, width: 20 });
  const r = await resolveData(same, { image: { warn: () => undefined } });
  assert.deepEqual([r.train.height, r.train.width], [14, 20]);
  assert.deepEqual(r.imageSize, { height: 14, width: 20, why: 'all the same size' });
  const mixed = await resolveData(root, { image: { warn: () => undefined }, imageDefaultSize: { height: 9, width: 9, why: 'the source size' } });
  assert.deepEqual(mixed.imageSize, { height: 9, width: 9, why: 'sizes differ; the source size' });
  assert.equal(mixed.train.height, 9);
});
