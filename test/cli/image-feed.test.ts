/**
 * infer's image feed (src/cli/image-feed.ts, a worker thread): each image's input equals loadImage's, for the
 * short-side preset (early full-size decode) and a 'cover' spec (decoded anew), whether the spec arrives before or
 * after the decodes, and when a second spec replaces a first (a guess from the flags, then a checkpoint's own);
 * an unreadable file gives its one-line error and the rest still arrive; an index out of range throws; close()
 * is idempotent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ImageFeed } from '../../src/cli/image-feed.js';
import { loadImage } from '../../src/vision/preprocess.js';
import { IMAGENET_PRESET, type PreprocessSpec } from '../../src/vision/preprocess-spec.js';
import { FIXTURES } from '../helpers/fixtures.js';

const PHOTOS = join(FIXTURES, 'photos');
const photos = readdirSync(PHOTOS).sort().map((f) => join(PHOTOS, f));
const bad = join(mkdtempSync(join(tmpdir(), 'dn-image-feed-')), 'broken.png');
writeFileSync(bad, 'not an image\n');
const COVER: PreprocessSpec = { resize: { mode: 'cover' }, inputSize: [1, 28, 28], mean: [0.5], std: [0.5] };

const cases: [string, PreprocessSpec, boolean, PreprocessSpec | null][] = [
  ['short-side preset, spec after the decodes', IMAGENET_PRESET, false, null],
  ['cover, spec first', COVER, true, null],
  ['the preset replaced by cover', COVER, true, IMAGENET_PRESET],
];
for (const [name, spec, specFirst, guess] of cases) {
  test(`image feed (${name}): inputs equal loadImage's, in order; a bad file is its error`, async () => {
    const files = [photos[0], bad, ...photos.slice(1)];
    const feed = new ImageFeed(files);
    try {
      if (guess !== null) feed.setSpec(guess);
      if (specFirst && guess === null) feed.setSpec(spec);
      feed.request(3);
      if (guess !== null) {
        // image 0 prepared with the guess (the others may be too), then the real spec replaces it
        assert.deepEqual(await feed.get(0), (await loadImage(files[0], guess)).input);
        feed.setSpec(spec);
      }
      if (!specFirst) feed.setSpec(spec);
      feed.request(files.length);
      for (let i = 0; i < files.length; i++) {
        const got = await feed.get(i);
        feed.release(i);
        if (files[i] === bad) {
          assert.ok(got instanceof Error && got.message.startsWith(`${bad}: not a readable image`), String(got));
          assert.ok(!got.message.includes('\n'));
          continue;
        }
        assert.ok(got instanceof Float32Array, `image ${i}: ${String(got)}`);
        assert.deepEqual(got, (await loadImage(files[i], spec)).input, files[i]);
      }
      assert.throws(() => feed.get(files.length), /no image 6 of 6/);
    } finally {
      await feed.close();
      await feed.close();
    }
  });
}
