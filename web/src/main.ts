/**
 * The demo page: draw (mouse, touch, pen) or drop an image; a Fashion-MNIST DenseNet-BC trained by this project
 * classifies it in the browser on the wasm backend and shows the top-3 classes, the forward latency, the thread
 * count, the Grad-CAM heat map of the top class and the network's dense connectivity. No framework; the test
 * (test/web) drives it through `window.demo`.
 */
import { overlayHeat, preprocessPixels, type RawImage } from 'densenet-ts';
import { connectivitySvg } from './connectivity.js';
import { fromDrawing, fromPicture } from './input.js';
import { classify, loadDemoModel, type Classification, type LoadedModel } from './model.js';

const WEIGHTS_URL = 'models/fashion-mnist-densenet-bc.safetensors';

interface Samples { width: number; height: number; samples: { index: number; label: number; pixels: string }[] }

export interface DemoResult {
  logits: number[];
  top: { index: number; label: string; prob: number }[];
  forwardMs: number;
  camMs: number;
}
export interface DemoInfo {
  crossOriginIsolated: boolean;
  threads: number;
  requestedThreads: number;
  hardwareConcurrency: number;
  backend: string;
  classNames: string[];
}
declare global {
  interface Window {
    demo: { ready: Promise<DemoInfo>; classifyGray(pixels: number[], width: number, height: number): DemoResult };
  }
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo: #${id} is missing from the page`);
  return el as T;
};

let loaded: LoadedModel | null = null;

/** An RGB HWC picture onto a canvas, scaled up with smoothing off (pixels stay pixels). */
function paint(canvas: HTMLCanvasElement, rgb: Uint8Array, w: number, h: number): void {
  const small = new ImageData(w, h);
  for (let p = 0; p < w * h; p++) {
    small.data.set([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2], 255], 4 * p);
  }
  const tmp = document.createElement('canvas');
  tmp.width = w;
  tmp.height = h;
  tmp.getContext('2d')!.putImageData(small, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}

function show(r: Classification, seen: { data: Uint8Array; width: number; height: number }, note: string): void {
  const list = $('top');
  list.replaceChildren(...r.top.map((t, i) => {
    const li = document.createElement('li');
    li.className = i === 0 ? 'best' : '';
    li.innerHTML = `<span class="name"></span><span class="bar"><span style="width:${(100 * t.prob).toFixed(1)}%"></span></span><span class="prob">${(100 * t.prob).toFixed(1)}%</span>`;
    li.querySelector('.name')!.textContent = t.label;
    return li;
  }));
  $('latency').textContent = `${r.forwardMs.toFixed(1)} ms`;
  $('note').textContent = note;
  paint($<HTMLCanvasElement>('seen'), seen.data, seen.width, seen.height);
  const heat = overlayHeat(seen.data, r.cam.upsampled, seen.width, seen.height, 0.5);
  paint($<HTMLCanvasElement>('cam'), heat, seen.width, seen.height);
  $('cam-caption').textContent = `Grad-CAM for “${r.top[0].label}” (last dense block, ${r.cam.h}×${r.cam.w} map, ${r.camMs.toFixed(0)} ms)`;
}

function run(raw: RawImage, note: string): Classification {
  if (!loaded) throw new Error('demo: the model is not loaded yet');
  const { input, display } = preprocessPixels(raw, loaded.spec);
  const r = classify(loaded, input);
  show(r, display, note);
  return r;
}

// --- the drawing pad: black ink on white, as people expect of a pad (input.ts inverts it) ---
const pad = $<HTMLCanvasElement>('pad');
const pctx = pad.getContext('2d', { willReadFrequently: true })!;
function clearPad(): void {
  pctx.fillStyle = '#fff';
  pctx.fillRect(0, 0, pad.width, pad.height);
}
clearPad();
let drawing = false;
/** the pad shows a picture or an example, not a drawing: the next stroke starts on a clean pad */
let padHasPicture = false;
let last: [number, number] | null = null;
const at = (e: PointerEvent): [number, number] => {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
};
pad.addEventListener('pointerdown', (e) => {
  if (padHasPicture) clearPad();
  padHasPicture = false;
  drawing = true;
  last = at(e);
  pad.setPointerCapture(e.pointerId);
  pctx.fillStyle = '#000';
  pctx.beginPath();
  pctx.arc(last[0], last[1], 9, 0, 2 * Math.PI);
  pctx.fill();
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing || !last) return;
  const p = at(e);
  pctx.strokeStyle = '#000';
  pctx.lineWidth = 18;
  pctx.lineCap = 'round';
  pctx.lineJoin = 'round';
  pctx.beginPath();
  pctx.moveTo(last[0], last[1]);
  pctx.lineTo(p[0], p[1]);
  pctx.stroke();
  last = p;
});
const endStroke = (): void => {
  if (!drawing) return;
  drawing = false;
  last = null;
  const raw = fromDrawing(pctx.getImageData(0, 0, pad.width, pad.height));
  if (raw) run(raw, 'your drawing, inverted to white on black and framed like Fashion-MNIST');
};
pad.addEventListener('pointerup', endStroke);
pad.addEventListener('pointercancel', endStroke);
$('clear').addEventListener('click', clearPad);

// --- dropped or chosen images ---
async function picture(file: Blob, name: string): Promise<void> {
  const bmp = await createImageBitmap(file);
  const c = document.createElement('canvas');
  c.width = bmp.width;
  c.height = bmp.height;
  const ctx = c.getContext('2d')!;
  ctx.drawImage(bmp, 0, 0);
  const { raw, inverted } = fromPicture(ctx.getImageData(0, 0, c.width, c.height));
  clearPad();
  const s = Math.min(pad.width / bmp.width, pad.height / bmp.height);
  pctx.drawImage(bmp, (pad.width - bmp.width * s) / 2, (pad.height - bmp.height * s) / 2, bmp.width * s, bmp.height * s);
  padHasPicture = true;
  run(raw, `${name} (${bmp.width}×${bmp.height})${inverted ? ', light background: inverted' : ''}`);
}
const drop = $('drop');
for (const ev of ['dragenter', 'dragover']) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add('over'); });
for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  const f = e.dataTransfer?.files[0];
  if (f) picture(f, f.name).catch(fail);
});
$<HTMLInputElement>('file').addEventListener('change', (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) picture(f, f.name).catch(fail);
});

function fail(e: unknown): void {
  $('status').textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
  document.body.dataset.state = 'error';
}

function gray(pixels: ArrayLike<number>, width: number, height: number): RawImage {
  return { data: Uint8Array.from(pixels), width, height, channels: 1 };
}

async function start(): Promise<DemoInfo> {
  const m = await loadDemoModel(WEIGHTS_URL);
  loaded = m;
  const info: DemoInfo = {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    threads: m.backend.threads,
    requestedThreads: m.requestedThreads,
    hardwareConcurrency: navigator.hardwareConcurrency || 1,
    backend: m.backend.name,
    classNames: m.classNames,
  };
  $('status').textContent = `${info.backend} backend, ${info.threads} thread${info.threads === 1 ? '' : 's'}` +
    (info.crossOriginIsolated ? ` (cross-origin isolated; asked for ${info.requestedThreads})` : ' (not cross-origin isolated: one thread)');
  $('threads').textContent = String(info.threads);
  const acc = m.bestValAcc === null ? '' : `, ${(100 * m.bestValAcc).toFixed(2)}% test accuracy`;
  $('model').textContent = `DenseNet-BC (L = ${m.summary.blocks.reduce((n, b) => n + b.layers, 0)} dense layers, k = ${m.model.config.growthRate}), ${(m.summary.params / 1000).toFixed(1)}k parameters${acc}`;
  $('net').innerHTML = connectivitySvg(m.summary, m.classNames.length);

  const res = await fetch('samples.json');
  if (res.ok) {
    const s = (await res.json()) as Samples;
    const row = $('examples');
    for (const ex of s.samples) {
      const px = Uint8Array.from(atob(ex.pixels), (ch) => ch.charCodeAt(0));
      const b = document.createElement('canvas');
      b.width = s.width;
      b.height = s.height;
      b.title = `Fashion-MNIST test image ${ex.index} (${m.classNames[ex.label]})`;
      const id = new ImageData(s.width, s.height);
      px.forEach((v, p) => id.data.set([v, v, v, 255], 4 * p));
      b.getContext('2d')!.putImageData(id, 0, 0);
      b.addEventListener('click', () => {
        clearPad();
        pctx.imageSmoothingEnabled = false;
        pctx.drawImage(b, 0, 0, pad.width, pad.height);
        padHasPicture = true;
        run(gray(px, s.width, s.height), `${b.title}, as the data set stores it`);
      });
      row.append(b);
    }
    (row.children[0] as HTMLCanvasElement | undefined)?.click();
  }
  document.body.dataset.state = 'ready';
  return info;
}

const ready = start();
ready.catch(fail);
window.demo = {
  ready,
  /** Classifies a gray image as given (no inversion): white on black like the data set. */
  classifyGray(pixels, width, height) {
    const r = run(gray(pixels, width, height), 'an image given by a script');
    return { logits: r.logits, top: r.top, forwardMs: r.forwardMs, camMs: r.camMs };
  },
};
