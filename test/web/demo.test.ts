/**
 * The demo page in a real browser: Debian's chromium (headless) driven by playwright-core, against
 * web/serve.mjs on an ephemeral loopback port. The page must be cross-origin isolated (COOP/COEP), load the
 * committed Fashion-MNIST checkpoint on the wasm backend, classify known Fashion-MNIST test images (the committed
 * samples; more from the IDX files when the data set is installed) with the classes and logits Node's library
 * gives (same checkpoint, wasm backend, within 1e-4), draw, and run more than one thread once the wasm backend
 * offers threads. A screenshot goes to a temp dir (WEB_SCREENSHOT=path saves it elsewhere, e.g. docs/web-demo.png).
 * Skipped with a message when chromium is not installed (`apt-get install -y chromium`).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { DenseNet, loadBackend, normalizeStateDict, parseConfig, preprocessPixels, readSafetensors, specFromCheckpoint, Tensor, type Backend } from '../../src/index.js';
import { buildWeb, startWebServer } from '../../web/serve.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FMNIST = '/usr/share/datasets/fashion-mnist';
const CKPT = path.join(root, 'web', 'models', 'fashion-mnist-densenet-bc.safetensors');
const skip = existsSync(CHROMIUM) ? false : `chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`;

interface DemoInfo { crossOriginIsolated: boolean; threads: number; requestedThreads: number; hardwareConcurrency: number; backend: string; classNames: string[] }
interface DemoResult { logits: number[]; top: { index: number; label: string; prob: number }[] }
/** what web/src/main.ts puts on window */
type DemoWindow = { demo: { ready: Promise<DemoInfo>; classifyGray(pixels: number[], width: number, height: number): DemoResult } };

/** The Node side: the same checkpoint through the Node library on the wasm backend. */
async function nodeModel(): Promise<{ model: DenseNet; backend: Backend; input(px: number[]): Tensor }> {
  const { tensors, metadata } = readSafetensors(new Uint8Array(readFileSync(CKPT)));
  const model = new DenseNet(parseConfig(metadata.config), 0, { init: false });
  model.loadStateDict(normalizeStateDict(tensors));
  // the checkpoint's own preprocessing through Node's library (a 28x28 image: no resize, ToTensor + Normalize)
  const spec = specFromCheckpoint(JSON.parse(metadata.preprocessing));
  const input = (px: number[]): Tensor => new Tensor(preprocessPixels({ data: Uint8Array.from(px), width: 28, height: 28, channels: 1 }, spec).input, [1, 1, 28, 28]);
  return { model: model.eval(), backend: await loadBackend('wasm'), input };
}

function argMax(v: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
  return b;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('web demo in headless Chromium', { skip }, () => {
  let browser: Browser;
  let server: { url: string; close(): Promise<void> };
  let page: Page;
  let info: DemoInfo;
  const shots = mkdtempSync(path.join(tmpdir(), 'densenet-web-'));
  const consoleErrors: string[] = [];

  before(async () => {
    await buildWeb();
    server = await startWebServer({ port: 0 });
    // root in a container: chromium's own sandbox needs --no-sandbox; nothing here touches web security or isolation
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1040, height: 960 } });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    // a build without the threaded module answers /densenet-mt.wasm with 404: the page then runs one thread
    page.on('console', (m) => { if (m.type() === 'error' && !m.location().url.endsWith('/densenet-mt.wasm')) consoleErrors.push(m.text()); });
    await page.goto(server.url);
    info = await page.evaluate(() => (window as unknown as DemoWindow).demo.ready);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(shots, { recursive: true, force: true });
  });

  test('the page is cross-origin isolated, loads the checkpoint on the wasm backend, and logs no error', () => {
    assert.equal(info.crossOriginIsolated, true);
    assert.equal(info.backend, 'wasm');
    assert.deepEqual(info.classNames.slice(0, 2), ['T-shirt/top', 'Trouser']);
    assert.equal(info.requestedThreads, info.hardwareConcurrency, 'an isolated page asks for one thread per core');
    assert.deepEqual(consoleErrors, []);
  });

  test('committed Fashion-MNIST samples: the page predicts the true classes, logits equal Node\'s within 1e-4', async () => {
    const samples = JSON.parse(readFileSync(path.join(root, 'web', 'samples.json'), 'utf8')) as { samples: { index: number; label: number; pixels: string }[] };
    const { model, backend, input } = await nodeModel();
    let correct = 0;
    for (const s of samples.samples) {
      const px = [...Buffer.from(s.pixels, 'base64')];
      const got = await page.evaluate((p) => (window as unknown as DemoWindow).demo.classifyGray(p, 28, 28), px);
      const want = model.forward(input(px), backend).data;
      assert.ok(maxAbsDiff(got.logits, want) <= 1e-4, `sample ${s.index}: logits differ by ${maxAbsDiff(got.logits, want)}`);
      assert.equal(got.top[0].index, argMax(want), `sample ${s.index}: the page and Node disagree`);
      assert.equal(got.top[0].label, info.classNames[got.top[0].index]);
      if (got.top[0].index === s.label) correct++;
    }
    // the committed checkpoint gets all ten of these right in Node (checked by hand); pinned so a change shows
    assert.equal(correct, samples.samples.length, `${correct} of ${samples.samples.length} samples right`);
  });

  test('Fashion-MNIST t10k images from the IDX files: classes and logits as in Node', async (t) => {
    if (!existsSync(path.join(FMNIST, 't10k-images-idx3-ubyte.gz'))) {
      t.skip(`no Fashion-MNIST IDX files in ${FMNIST} (install dataset-fashion-mnist)`);
      return;
    }
    const images = gunzipSync(readFileSync(path.join(FMNIST, 't10k-images-idx3-ubyte.gz')));
    const labels = gunzipSync(readFileSync(path.join(FMNIST, 't10k-labels-idx1-ubyte.gz')));
    const { model, backend, input } = await nodeModel();
    const n = 40;
    let agree = 0;
    let right = 0;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const px = [...images.subarray(16 + i * 784, 16 + (i + 1) * 784)];
      const got = await page.evaluate((p) => (window as unknown as DemoWindow).demo.classifyGray(p, 28, 28), px);
      const want = model.forward(input(px), backend).data;
      worst = Math.max(worst, maxAbsDiff(got.logits, want));
      if (got.top[0].index === argMax(want)) agree++;
      if (got.top[0].index === labels[8 + i]) right++;
    }
    assert.ok(worst <= 1e-4, `logits differ by up to ${worst}`);
    assert.equal(agree, n, 'the page and Node predict the same classes');
    assert.ok(right >= 32, `${right} of ${n} right (the checkpoint has 88.8% test accuracy)`);
  });

  test('a drawing (mouse strokes on the pad) is classified, and the screenshot is saved', async () => {
    await page.click('#clear');
    const box = (await page.locator('#pad').boundingBox())!;
    // a pair of trousers: a waistband and two legs with a gap between them, filled with vertical strokes
    await page.mouse.move(box.x + 96, box.y + 24);
    await page.mouse.down();
    for (let dx = 0; dx <= 88; dx += 8) {
      const bottom = dx > 30 && dx < 58 ? 70 : 256;
      await page.mouse.move(box.x + 96 + dx, box.y + 24, { steps: 2 });
      await page.mouse.move(box.x + 96 + dx, box.y + bottom, { steps: 6 });
      await page.mouse.move(box.x + 96 + dx, box.y + 24, { steps: 6 });
    }
    await page.mouse.up();
    const file = process.env.WEB_SCREENSHOT ?? path.join(shots, 'web-demo.png');
    await page.screenshot({ path: file, fullPage: true });
    assert.ok(readFileSync(file).length > 10_000);
    const top = await page.locator('#top li').allTextContents();
    assert.equal(top.length, 3);
    assert.match(top[0], /Trouser/, `top-1 of the drawn trousers: ${top[0]}`);
    const latency = await page.locator('#latency').textContent();
    assert.match(latency ?? '', /^\d+(\.\d)? ms$/);
  });

  test('a chosen and a dropped picture with a light background (samples inverted, 4x larger) are inverted back and classified', async () => {
    const samples = JSON.parse(readFileSync(path.join(root, 'web', 'samples.json'), 'utf8')) as { samples: { index: number; label: number; pixels: string }[] };
    for (const s of [samples.samples[7], samples.samples[9]]) {
      const dark = Buffer.from(s.pixels, 'base64').map((v) => 255 - v);
      const file = path.join(shots, `sample-${s.index}.png`);
      await sharp(dark, { raw: { width: 28, height: 28, channels: 1 } }).resize(112, 112, { kernel: 'nearest' }).png().toFile(file);
      if (s === samples.samples[7]) {
        await page.setInputFiles('#file', file);
      } else {
        // dropped on the pad: a real DragEvent carrying the file
        await page.evaluate(async ({ b64, name }) => {
          const dt = new DataTransfer();
          dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type: 'image/png' }));
          document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        }, { b64: readFileSync(file).toString('base64'), name: path.basename(file) });
      }
      await page.waitForFunction((name) => document.getElementById('note')?.textContent?.startsWith(name), `sample-${s.index}.png`);
      assert.match((await page.locator('#note').textContent()) ?? '', /\(112×112\), light background: inverted$/);
      const top = await page.locator('#top li').first().textContent();
      assert.ok(top?.startsWith(info.classNames[s.label]), `t10k #${s.index} (${info.classNames[s.label]}) drawn dark on light: top-1 ${top}`);
    }
  });

  test('more than one thread once the wasm backend offers threads', (t) => {
    // the threaded build (scripts/build-wasm.mjs -> build/densenet-mt.wasm) is what offers threads to a page
    if (!existsSync(path.join(root, 'build', 'densenet-mt.wasm'))) {
      t.skip('no build/densenet-mt.wasm: the wasm backend is single-threaded in this build; the page shows 1 thread');
      return;
    }
    assert.ok(info.hardwareConcurrency > 1, `chromium reports ${info.hardwareConcurrency} core(s)`);
    assert.ok(info.threads > 1, `the isolated page runs ${info.threads} thread(s) of ${info.requestedThreads} asked for`);
    assert.equal(info.threads, info.requestedThreads);
  });
});
