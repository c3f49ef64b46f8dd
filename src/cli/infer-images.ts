/**
 * `densenet infer IMAGES... --output FILE (--weights W | --pretrained NAME)`: logits [N, classes] of image files
 * (or folders, searched like predict's) into a safetensors file, with the files in its metadata (`files`, JSON).
 * Made for one-shot runs, where the process's start-up is part of the cost: a worker thread loads sharp, decodes
 * and preprocesses the images (image-feed.ts) while the main thread reads the weights and loads the native
 * backend, and keeps two batches ahead of the model, which runs in batches (default 8); the results are written once.
 * Preprocessing is predict's (vision/preprocess.ts): torchvision's Resize + CenterCrop exactly for the ImageNet
 * preset; a checkpoint's 'cover' resize re-decodes as training did. Not the tensor mode (`--input`, infer.ts).
 * An unreadable image is one line on stderr and is left out; the exit code is then 1.
 */
import { listImageFiles } from '../vision/files.js';
import { positiveInt } from './format.js';
import { ImageFeed } from './image-feed.js';
import type { InferFlags } from './infer.js';

/** Phase marks printed with --timing: wall ms since the previous mark (the first: since the process started) and the process's CPU ms (all threads). */
class Marks {
  private readonly list: [string, number, number][] = [];
  constructor(private readonly on: boolean) {}
  mark(what: string): void {
    if (!this.on) return;
    const cpu = process.cpuUsage();
    this.list.push([what, performance.now(), (cpu.user + cpu.system) / 1000]);
  }
  print(): void {
    if (!this.on) return;
    const parts = this.list.map(([w, t, c], i) => `${w} ${(t - (i ? this.list[i - 1][1] : 0)).toFixed(0)} (cpu ${(c - (i ? this.list[i - 1][2] : 0)).toFixed(0)})`);
    process.stderr.write(`infer: timing, wall ms (process cpu ms): ${parts.join(', ')}\n`);
  }
}

export async function runInferImages(paths: string[], flags: InferFlags): Promise<void> {
  const marks = new Marks(flags.timing === true);
  marks.mark('start+imports');
  const batch = positiveInt('batch-size', flags.batchSize, 8);
  const err = (line: string): void => void process.stderr.write(`infer: ${line}\n`);
  const { files, errors } = listImageFiles(paths);
  errors.forEach(err);
  // decoding starts now in the feed's worker for the first two batches, and runs two batches ahead after that (so a
  // folder of thousands of images is not held decoded at once); the weights are read here meanwhile
  const feed = new ImageFeed(files);
  try {
    if (files.length > 0) feed.request(2 * batch);
    // the rest of what this command needs is imported once the worker is on its way (it boots meanwhile)
    const [{ loadModelForUse }, { Tensor }, { writeSafetensorsFile }] = await Promise.all([
      import('./load-model.js'), import('../tensor/tensor.js'), import('../io/weights-file.js'),
    ]);
    const backendP = import('../backend/select.js').then((m) => m.getBackend(flags.backend));
    backendP.catch(() => undefined);
    const { model, preprocessing: spec } = await loadModelForUse(flags, 'infer', { onEarlySpec: (s) => feed.setSpec(s) });
    feed.setSpec(spec); // the same unless the file is a checkpoint with its own
    marks.mark('weights');
    const backend = await backendP;
    marks.mark('backend');

    const [C, H, W] = spec.inputSize;
    const per = C * H * W;
    const k = model.numClasses;
    const ok: string[] = [];
    const logits = new Float32Array(files.length * k);
    const x = new Float32Array(Math.min(batch, files.length) * per);
    // the first images are usually still decoding: meanwhile the workspace gets its pages (the first forward's faults)
    if (files.length > 0) model.reserveWorkspace([Math.min(batch, files.length), C, H, W], backend);
    marks.mark('workspace');
    let failed = errors.length;
    let tPre = 0;
    let tFwd = 0;
    for (let i = 0; i < files.length; i += batch) {
      const t0 = performance.now();
      const chunk = files.slice(i, i + batch);
      feed.request(i + 2 * batch);
      const inputs = await Promise.all(chunk.map((_, j) => feed.get(i + j)));
      let m = 0;
      inputs.forEach((r, j) => {
        feed.release(i + j);
        if (r instanceof Error) {
          failed++;
          err(r.message);
          return;
        }
        x.set(r, m * per);
        ok.push(chunk[j]);
        m++;
      });
      const t1 = performance.now();
      if (m > 0) logits.set(model.forward(new Tensor(x.subarray(0, m * per), [m, C, H, W]), backend).data, (ok.length - m) * k);
      tPre += t1 - t0;
      tFwd += performance.now() - t1;
    }
    if (flags.timing) process.stderr.write(`infer: timing: waiting for inputs (after the weights) ${tPre.toFixed(1)} ms, forward ${tFwd.toFixed(1)} ms\n`);
    marks.mark('preprocess+forward');
    await feed.close(); // before the write: the worker's exit is not on the way out
    await writeSafetensorsFile(flags.output, new Map([['logits', new Tensor(logits.subarray(0, ok.length * k), [ok.length, k])]]), {
      files: JSON.stringify(ok),
      backend: backend.name,
      config: JSON.stringify(model.modelConfig),
    });
    marks.mark('write');
    marks.print();
    err(`wrote logits [${ok.length}, ${k}] of ${ok.length} image${ok.length === 1 ? '' : 's'} to ${flags.output} (${backend.name} backend)`);
    if (failed > 0) {
      err(`${failed} of ${files.length + errors.length} inputs could not be read`);
      process.exitCode = 1;
    }
  } finally {
    await feed.close();
  }
}
