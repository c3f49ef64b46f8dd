/**
 * The training loop: seeded batches, SGD with a per-step learning-rate schedule, validation each epoch,
 * metrics.jsonl, last/best checkpoints and curves.svg in the output folder. A run stopped early (max steps,
 * Ctrl-C, SIGTERM) saves where it stood; resuming continues exactly (batches depend only on seed, epoch and index).
 * Crash safety: every checkpoint is written atomically (temp file, fsync, rename, folder fsync), so a kill at any
 * moment leaves the previous one intact; a failed save stops the run with one message; a non-finite loss, gradient
 * or weight stops it before anything of that step is written (see grad-guard.ts).
 */
import { accessSync, appendFileSync, closeSync, constants, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statfsSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Backend } from '../backend/backend.js';
import type { Dataset } from '../data/dataset.js';
import { DataLoader } from '../data/loader.js';
import type { AugmentOptions } from '../data/transforms.js';
import type { ImageClassifier } from '../models/classifier.js';
import { headParameterNames } from '../models/adapt.js';
import { SGD, type ParamGroup } from '../optim/sgd.js';
import { learningRate, type ScheduleName } from '../optim/schedule.js';
import { Tensor } from '../tensor/tensor.js';
import { writeCheckpoint, type Checkpoint, type CheckpointMeta, type FinetunedFrom, type Preprocessing, type TrainingState } from './checkpoint.js';
import { curvesSvg, type EpochMetrics } from './curves.js';
import { evaluate } from './evaluate.js';
import { clipGradNorm, firstNonFinite } from './grad-guard.js';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  noDecayOnBnAndBias: boolean;
  schedule: ScheduleName;
  warmupEpochs: number;
  augment: AugmentOptions | null;
  seed: number;
  /** stop after this many optimiser steps in total (smoke runs) */
  maxSteps: number | null;
  memoryEfficient: boolean;
  /** also save last.safetensors every this many steps (mid-epoch; null/absent: at the end of each epoch only) */
  saveEvery?: number | null;
  /** clip the gradients' total L2 norm to this before each update (torch.nn.utils.clip_grad_norm_) */
  clipGradNorm?: number | null;
  /** fine-tuning: the backbone runs frozen (eval mode, no backward) and only the classifier trains */
  frozenBody?: boolean;
  /** fine-tuning: the backbone's learning rate is this times the classifier's (default 1) */
  backboneLrScale?: number;
}

export interface StepProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  step: number;
  lr: number;
  /** running means over the epoch so far */
  loss: number;
  acc: number;
  imagesPerSec: number;
  etaSec: number;
}

export interface FitArgs {
  model: ImageClassifier;
  arch: string | null;
  backend: Backend;
  train: Dataset;
  val: Dataset | null;
  classNames: string[];
  preprocessing: Preprocessing;
  config: TrainConfig;
  outDir: string;
  resume?: Checkpoint;
  /** recorded in the checkpoints' metadata */
  finetunedFrom?: FinetunedFrom | null;
  onStep?: (p: StepProgress) => void;
  onEpoch?: (m: EpochMetrics) => void;
  /** polled after every step; true saves the state and returns (Ctrl-C) */
  shouldStop?: () => boolean;
  /** how checkpoints are written (tests inject failing writers) */
  saveCheckpoint?: typeof writeCheckpoint;
}

export interface FitResult {
  metrics: EpochMetrics[];
  state: TrainingState;
  stoppedEarly: boolean;
}

interface Partial {
  loss: number;
  correct: number;
  seen: number;
  seconds: number;
}

export async function fit(a: FitArgs): Promise<FitResult> {
  const { model, backend, config: c } = a;
  prepareOutDir(a.outDir);
  removeStaleTemps(a.outDir);
  checkFreeSpace(a.outDir, model);
  const [ch, h, w] = a.preprocessing.inputSize;
  const loader = new DataLoader(a.train, {
    batchSize: c.batchSize, shuffle: true, seed: c.seed, dropLast: a.train.size > c.batchSize,
    augment: c.augment ?? undefined, mean: a.preprocessing.mean, std: a.preprocessing.std,
  });
  const sgd = new SGD(parameterGroups(model, c), {
    lr: c.lr, momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay, noDecayOnBnAndBias: c.noDecayOnBnAndBias,
  });
  const schedule = { name: c.schedule, baseLr: c.lr, epochs: c.epochs, stepsPerEpoch: loader.numBatches, warmupEpochs: c.warmupEpochs };
  const state: TrainingState & { partial?: Partial } = a.resume?.meta.training
    ? { ...a.resume.meta.training }
    : { epoch: 0, batchInEpoch: 0, step: 0, rng: model.rng.state(), bestValAcc: -1, options: { ...c } };
  if (a.resume) {
    sgd.loadState(a.resume.momentum);
    model.rng.setState(state.rng);
  }
  const metrics: EpochMetrics[] = a.resume ? readPreviousMetrics(a.outDir, state.epoch) : [];
  if (!a.resume) writeFileSync(join(a.outDir, 'metrics.jsonl'), ''); // a fresh run starts a fresh log
  const meta = (training: TrainingState | null): CheckpointMeta => ({
    family: model.family, arch: a.arch, config: { ...model.modelConfig }, classNames: a.classNames, preprocessing: a.preprocessing, training,
    finetunedFrom: a.finetunedFrom ?? a.resume?.meta.finetunedFrom ?? null,
  });
  const params = sgd.params; // the trained parameters (all, or the head's with a frozen body), in model order
  const writer = a.saveCheckpoint ?? writeCheckpoint;
  const lastPath = join(a.outDir, 'last.safetensors');
  /** the step of the last.safetensors this run wrote (null: none yet) */
  let savedStep: number | null = null;
  const resumedStep = a.resume?.meta.training?.step ?? null;
  const kept = (): string => {
    if (savedStep !== null) return `the last good checkpoint ${lastPath} (step ${savedStep}) is kept`;
    return resumedStep !== null ? `no checkpoint was written since the one resumed from (step ${resumedStep}), which is untouched` : 'no checkpoint was written';
  };
  const save = async (file: string, withOptimizer: boolean): Promise<void> => {
    state.rng = model.rng.state();
    try {
      await writer(join(a.outDir, file), meta({ ...state }), model.stateDict(), withOptimizer ? sgd.state() : null);
    } catch (e) {
      throw new Error(`train: stopped at step ${state.step}: ${(e as Error).message.split('\n')[0]}; ${kept()}`);
    }
    if (file === 'last.safetensors') savedStep = state.step;
  };

  model.train();
  let stoppedEarly = false;
  try {
    for (let epoch = state.epoch; epoch < c.epochs && !stoppedEarly; epoch++) {
      const p: Partial = state.partial ?? { loss: 0, correct: 0, seen: 0, seconds: 0 };
      let lr = learningRate(schedule, state.step);
      let t0 = performance.now();
      for await (const b of loader.epoch(epoch, state.batchInEpoch)) {
        lr = learningRate(schedule, state.step);
        sgd.lr = lr;
        const r = model.lossAndGrad(new Tensor(b.x, [b.size, ch, h, w]), b.labels, backend, { memoryEfficient: c.memoryEfficient, frozenBody: c.frozenBody ?? false });
        const badGrad = firstNonFinite(params, 'grad');
        if (!Number.isFinite(r.loss) || badGrad !== null) {
          const where = badGrad !== null
            ? `non-finite gradient (${badGrad.value}) first in ${badGrad.name} (${badGrad.count} of ${params.length} parameters affected, in model order)`
            : 'gradients finite';
          throw new Error(`train: diverged at step ${state.step + 1}: loss ${r.loss.toPrecision(5)}, ${where}; ${kept()} (lower --lr or set --clip-grad-norm)`);
        }
        if (c.clipGradNorm != null) clipGradNorm(params, c.clipGradNorm);
        sgd.step();
        const badWeight = firstNonFinite(params, 'data');
        if (badWeight !== null) {
          throw new Error(`train: diverged at step ${state.step + 1}: the update made ${badWeight.name} non-finite (${badWeight.value}; ` +
            `${badWeight.count} of ${params.length} parameters affected); ${kept()} (lower --lr or set --clip-grad-norm)`);
        }
        state.step++;
        state.batchInEpoch++;
        p.loss += r.loss * b.size;
        p.correct += r.correct;
        p.seen += b.size;
        const now = performance.now();
        p.seconds += (now - t0) / 1000;
        t0 = now;
        const ips = p.seen / Math.max(p.seconds, 1e-9);
        a.onStep?.({
          epoch: epoch + 1, epochs: c.epochs, batch: state.batchInEpoch, batches: loader.numBatches, step: state.step, lr,
          loss: p.loss / p.seen, acc: p.correct / p.seen, imagesPerSec: ips,
          etaSec: ((loader.numBatches - state.batchInEpoch) * c.batchSize) / ips,
        });
        // let the event loop run once per step: prefetched batches resolve as microtasks, which alone would
        // starve signal handlers (Ctrl-C) and stream writes for a whole epoch
        await new Promise<void>((resolve) => setImmediate(resolve));
        if ((c.maxSteps !== null && state.step >= c.maxSteps) || a.shouldStop?.()) {
          stoppedEarly = true;
          break;
        }
        if (c.saveEvery != null && state.step % c.saveEvery === 0 && state.batchInEpoch < loader.numBatches) {
          state.partial = { ...p }; // mid-epoch: a resume continues this epoch (the end of an epoch saves anyway)
          await save('last.safetensors', true);
        }
      }
      if (stoppedEarly && a.shouldStop?.()) {
        // interrupted: keep the partial epoch so a resume continues it exactly
        state.partial = p;
        await save('last.safetensors', true);
        break;
      }
      const finished = state.batchInEpoch >= loader.numBatches;
      const v = a.val !== null ? await evaluate(model, a.val, backend, { batchSize: c.batchSize, mean: a.preprocessing.mean, std: a.preprocessing.std }) : null;
      const row: EpochMetrics = {
        epoch: epoch + 1, lr, train_loss: p.loss / Math.max(p.seen, 1), train_acc: p.correct / Math.max(p.seen, 1),
        val_loss: v?.loss ?? null, val_acc: v?.top1 ?? null, images_per_s: p.seen / Math.max(p.seconds, 1e-9), seconds: p.seconds,
      };
      metrics.push(row);
      appendFileSync(join(a.outDir, 'metrics.jsonl'), JSON.stringify(row) + '\n');
      writeAtomic(join(a.outDir, 'curves.svg'), curvesSvg(metrics, `${a.arch ?? model.family}: ${model.numParameters().toLocaleString('en-US')} parameters`));
      a.onEpoch?.(row);
      if (finished) {
        state.epoch = epoch + 1;
        state.batchInEpoch = 0;
        delete state.partial;
      } else {
        state.partial = p;
      }
      const acc = row.val_acc ?? row.train_acc;
      if (acc > state.bestValAcc) {
        state.bestValAcc = acc;
        await save('best.safetensors', false);
      }
      await save('last.safetensors', true);
    }
  } finally {
    await loader.close();
  }
  return { metrics, state, stoppedEarly };
}

/**
 * What SGD updates: every parameter; with a frozen body only the head's (the body's are never touched, and
 * hold no momentum); with a backbone learning-rate multiplier, the body as a group of its own.
 */
function parameterGroups(model: ImageClassifier, c: TrainConfig): ParamGroup[] {
  const head = new Set(headParameterNames(model));
  const params = model.namedParameters();
  const headParams = params.filter(([n]) => head.has(n));
  if (c.frozenBody) return [{ params: headParams }];
  const scale = c.backboneLrScale ?? 1;
  if (scale === 1) return [{ params }];
  return [{ params: params.filter(([n]) => !head.has(n)), lrScale: scale }, { params: headParams }];
}

/** Small text files (curves.svg, the rewritten metrics.jsonl): temp file, fsync, rename. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Makes the output folder and proves it writable (creates and removes a probe file), so an unwritable
 * --out is one error before any training rather than a failure at the first save.
 */
export function prepareOutDir(dir: string): void {
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    throw new Error(`train: the output folder ${dir} is not writable (${(e as Error).message.split('\n')[0]})`);
  }
}

/**
 * The same check without creating anything (for the CLI, before data is read): the nearest existing ancestor of
 * `dir` must be a writable folder (a regular file in the path, a read-only file system are refused).
 */
export function checkOutDir(dir: string): void {
  let p = resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && dirname(p) !== p) {
        p = dirname(p);
        continue;
      }
      throw new Error(`train: the output folder ${dir} is not writable (${(e as Error).message.split('\n')[0]})`);
    }
    if (!st.isDirectory()) throw new Error(`train: the output folder ${dir} is not writable (ENOTDIR: ${p} is a file, not a folder)`);
    try {
      accessSync(p, constants.W_OK);
    } catch (e) {
      throw new Error(`train: the output folder ${dir} is not writable (${(e as Error).message.split('\n')[0]})`);
    }
    return;
  }
}

/** Temp files of saves that a killed run (a dead process id) left behind. */
function removeStaleTemps(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = /^(?:last\.safetensors|best\.safetensors|curves\.svg|metrics\.jsonl)\.tmp-(\d+)$/.exec(name);
    if (m === null || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // gone already
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A disk too full for the checkpoints is refused up front: a save needs room for the old last.safetensors,
 * its replacement being written (weights, buffers, momentum) and best.safetensors.
 */
function checkFreeSpace(dir: string, model: ImageClassifier): void {
  let free: number;
  try {
    const s = statfsSync(dir);
    free = s.bavail * s.bsize;
  } catch {
    return; // no statfs here: the first save reports a full disk instead
  }
  const stateBytes = 4 * model.namedState().reduce((n, [, t]) => n + t.size, 0);
  const lastBytes = stateBytes + 4 * model.numParameters();
  const need = 2 * lastBytes + stateBytes + (1 << 20);
  if (free < need) {
    throw new Error(`train: ${dir} has ${(free / 2 ** 20).toFixed(1)} MiB free but the checkpoints need about ${(need / 2 ** 20).toFixed(1)} MiB`);
  }
}

/**
 * On resume: the metrics of the epochs completed before it, read back from metrics.jsonl (rows of a partial
 * epoch are dropped: that epoch is finished by the resumed run), and the file rewritten to hold just those.
 */
function readPreviousMetrics(dir: string, epochs: number): EpochMetrics[] {
  const path = join(dir, 'metrics.jsonl');
  let rows: EpochMetrics[] = [];
  try {
    rows = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as EpochMetrics);
  } catch {
    return [];
  }
  const kept = rows.filter((m) => m.epoch <= epochs);
  writeAtomic(path, kept.map((m) => JSON.stringify(m) + '\n').join(''));
  return kept;
}
