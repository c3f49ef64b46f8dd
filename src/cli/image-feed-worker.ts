/**
 * Entry point of infer's image-feed worker thread (started by image-feed.ts): decodes the image files at full size
 * (sharp, on libuv's threads) as soon as the main thread allows them (`{ end }`: images [0, end)), and once the
 * model's PreprocessSpec has arrived (`{ spec, v }`: a guess from the flags, then the one the weights file implies;
 * a new one prepares every image again) turns each into the model input [C, H, W], transferred (not copied) back. A file that cannot be read is answered with its one-line error.
 * Preprocessing is predict's (vision/preprocess.ts): a short-side spec resizes the early decode; a 'cover' spec
 * decodes anew, as training did.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeImage } from '../vision/image.js';
import { finish, resizeAndCrop } from '../vision/preprocess-pixels.js';
import { loadImage } from '../vision/preprocess.js';
import type { PreprocessSpec } from '../vision/preprocess-spec.js';
import type { RawImage } from '../vision/pixels.js';
import type { FeedPlan, FeedReply, FeedRequest } from './image-feed.js';

const port = parentPort;
if (port === null) throw new Error('image-feed-worker: must run in a worker thread');
const { files } = workerData as FeedPlan;
const decoded: (Promise<RawImage> | null)[] = []; // full-size decodes, null once prepared
let spec: PreprocessSpec | null = null;
let version = 0;
let prepared = 0; // images [0, prepared) have been (or are being) prepared with the current spec

const oneLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

async function prepare(i: number, s: PreprocessSpec, v: number): Promise<void> {
  let reply: FeedReply;
  try {
    if (s.resize.mode !== 'short-side') reply = { i, v, input: (await loadImage(files[i], s)).input };
    else reply = { i, v, input: finish(resizeAndCrop(await (decoded[i] ?? decodeImage(files[i], 3)), s), s).input }; // decoded anew if a replaced spec let it go
  } catch (e) {
    reply = { i, v, error: oneLine(e) };
  }
  decoded[i] = null; // the full-size pixels can go
  if ('input' in reply) port!.postMessage(reply, [reply.input.buffer as ArrayBuffer]);
  else port!.postMessage(reply);
}

port.on('message', (m: FeedRequest) => {
  if ('spec' in m) {
    spec = m.spec;
    version = m.v;
    prepared = 0;
  } else {
    for (let i = decoded.length; i < Math.min(m.end, files.length); i++) {
      decoded.push(decodeImage(files[i], 3));
      decoded[i]!.catch(() => undefined); // its turn reports it
    }
  }
  if (spec !== null) for (; prepared < decoded.length; prepared++) void prepare(prepared, spec, version);
});
