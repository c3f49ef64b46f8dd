/**
 * `densenet train`: parses flags into a model config, a data spec and a TrainConfig, then makes one library call
 * (fit). Shows a progress bar per epoch, prints one line per epoch, and on Ctrl-C or SIGTERM saves where it stood.
 * `--finetune FILE` / `--pretrained NAME` start from existing weights (cli/finetune.ts builds that model).
 */
import { freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { getBackend } from '../backend/select.js';
import { resolveData } from '../data/resolve.js';
import { permutation, splitValidation, subset, type Dataset } from '../data/dataset.js';
import { Rng } from '../tensor/rng.js';
import { computeMeanStd } from '../data/transforms.js';
import { isScheduleName, SCHEDULES } from '../optim/schedule.js';
import { readCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { checkOutDir, fit, type FitResult, type TrainConfig } from '../train/trainer.js';
import type { ImageClassifier } from '../models/classifier.js';
import { buildModel, describeConfigDifference, modelFromFlags } from './build-model.js';
import type { ModelFlags } from './model-options.js';
import { bytes } from './format.js';
import { formatDuration, Progress } from './progress.js';
import { largestBatch, planMemory } from '../models/memory.js';
import { headParameterNames, type AdaptReport } from '../models/adapt.js';
import { buildFinetuneModel, readFinetuneSource, type FinetuneSource } from './finetune.js';

export interface TrainFlags extends ModelFlags {
  data: string;
  epochs: string;
  batchSize: string;
  lr: string;
  momentum: string;
  nesterov: boolean;
  weightDecay: string;
  decayBnBias: boolean;
  schedule: string;
  warmupEpochs: string;
  augment: boolean;
  augmentPad: string;
  valSplit: string;
  seed: string;
  maxSteps?: string;
  out: string;
  resume?: string;
  backend?: string;
  memoryEfficient: boolean;
  inputSize?: string;
  limit?: string;
  maxMemory?: string;
  saveEvery?: string;
  clipGradNorm?: string;
  finetune?: string;
  pretrained?: string;
  freeze?: string;
  backboneLr?: string;
}

function num(flag: string, v: string, check: (x: number) => boolean, what: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || !check(x)) throw new Error(`--${flag} expects ${what}, got '${v}'`);
  return x;
}
const posInt = (flag: string, v: string): number => num(flag, v, (x) => Number.isInteger(x) && x > 0, 'a positive integer');
const nonNeg = (flag: string, v: string): number => num(flag, v, (x) => x >= 0, 'a number >= 0');

export function trainConfigFrom(f: TrainFlags): TrainConfig {
  if (!isScheduleName(f.schedule)) throw new Error(`--schedule must be one of ${SCHEDULES.join(', ')}, got '${f.schedule}'`);
  return {
    epochs: posInt('epochs', f.epochs),
    batchSize: posInt('batch-size', f.batchSize),
    lr: num('lr', f.lr, (x) => x > 0, 'a positive number'),
    momentum: nonNeg('momentum', f.momentum),
    nesterov: f.nesterov,
    weightDecay: nonNeg('weight-decay', f.weightDecay),
    noDecayOnBnAndBias: !f.decayBnBias,
    schedule: f.schedule,
    warmupEpochs: nonNeg('warmup-epochs', f.warmupEpochs),
    augment: f.augment ? { pad: num('augment-pad', f.augmentPad, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer'), flip: true } : null,
    seed: num('seed', f.seed, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer'),
    maxSteps: f.maxSteps !== undefined ? posInt('max-steps', f.maxSteps) : null,
    memoryEfficient: f.memoryEfficient,
    saveEvery: f.saveEvery !== undefined ? posInt('save-every', f.saveEvery) : null,
    clipGradNorm: f.clipGradNorm !== undefined ? num('clip-grad-norm', f.clipGradNorm, (x) => x > 0, 'a positive number') : null,
    ...fineTuningOptions(f),
  };
}

/** --freeze features / --backbone-lr X (fine-tuning only). */
function fineTuningOptions(f: TrainFlags): Pick<TrainConfig, 'frozenBody' | 'backboneLrScale'> {
  if (f.freeze !== undefined && f.freeze !== 'features') throw new Error(`--freeze: unknown value '${f.freeze}' (known: features)`);
  const o: Pick<TrainConfig, 'frozenBody' | 'backboneLrScale'> = {};
  if (f.freeze !== undefined) o.frozenBody = true;
  if (f.backboneLr !== undefined) o.backboneLrScale = num('backbone-lr', f.backboneLr, (x) => x > 0, 'a positive multiplier of --lr (e.g. 0.1)');
  if (o.frozenBody && o.backboneLrScale !== undefined) throw new Error('--freeze features and --backbone-lr exclude each other (a frozen backbone does not train)');
  if ((o.frozenBody || o.backboneLrScale !== undefined) && f.finetune === undefined && f.pretrained === undefined && f.resume === undefined) {
    throw new Error(`${o.frozenBody ? '--freeze' : '--backbone-lr'} needs --finetune FILE or --pretrained NAME (the backbone to keep)`);
  }
  return o;
}

export interface TrainOutcome {
  result: FitResult;
  model: ImageClassifier;
  arch: string | null;
  input: [number, number, number];
  seconds: number;
}

export async function runTrain(f: TrainFlags): Promise<void> {
  await trainFromFlags(f, new Progress());
}

/** Everything `densenet train` does, returning the outcome (used by `compare` for each model too). */
export async function trainFromFlags(f: TrainFlags, log: Progress): Promise<TrainOutcome> {
  const config = trainConfigFrom(f);
  const valSplit = num('val-split', f.valSplit, (x) => x >= 0 && x < 1, 'a fraction in [0, 1)');
  const resume: Checkpoint | null = f.resume !== undefined ? await readCheckpoint(f.resume) : null;
  checkOutDir(f.out); // an unwritable --out fails here, before any data is read (fit makes the folder)
  if (resume !== null && (f.finetune !== undefined || f.pretrained !== undefined)) {
    throw new Error('--resume continues a run with its own weights; drop --finetune/--pretrained');
  }
  const source = f.finetune !== undefined || f.pretrained !== undefined ? await readFinetuneSource(f) : null;
  if (resume !== null) {
    // a resumed fine-tuning run keeps its frozen backbone / backbone learning rate unless flags say otherwise
    const o = resume.meta.training?.options ?? {};
    if (f.freeze === undefined && o.frozenBody === true) config.frozenBody = true;
    if (f.backboneLr === undefined && typeof o.backboneLrScale === 'number') config.backboneLrScale = o.backboneLrScale;
  }

  // the model: from the checkpoint when resuming (flags, if any, must describe the same model)
  let built = resume !== null ? buildModel(resume.meta.family, resume.meta.config, config.seed, false, resume.meta.arch) : null;
  if (resume !== null && built !== null && (f.arch !== undefined || f.config !== undefined)) {
    const have = built.model;
    const asked = modelFromFlags(f, { seed: config.seed, init: false, inChannels: have.inChannels, numClasses: have.numClasses });
    const diff = describeConfigDifference(asked.model.modelConfig, built.model.modelConfig);
    if (diff !== null) throw new Error(`${f.resume} is a checkpoint for another architecture (${diff})`);
  }

  // image folders: --input-size, else a resumed run's size, else the images' own when they share one, else the
  // source weights' input size (fine-tuning) or 224
  const resumeSize = resume?.meta.preprocessing.inputSize;
  const given = f.inputSize !== undefined ? parseSize(f.inputSize) : resumeSize !== undefined && resumeSize[1] > 0 ? [resumeSize[1], resumeSize[2]] : null;
  const sourceSize = source?.preprocessing?.inputSize;
  const channels = resume?.meta.preprocessing.inputSize[0] ?? Number(f.inChannels ?? source?.inChannels ?? 3);
  const data = await resolveData(f.data, {
    image: { channels: channels === 1 ? 1 : 3, ...(given ? { height: given[0], width: given[1] } : {}) },
    imageDefaultSize: sourceSize !== undefined && sourceSize[1] > 0
      ? { height: sourceSize[1], width: sourceSize[2], why: `${f.finetune ?? f.pretrained}'s input size` }
      : { height: 224, width: 224, why: 'default 224' },
  });
  let train: Dataset = data.train;
  let val: Dataset | null = data.test ?? null;
  if (valSplit > 0) ({ train, val } = splitValidation(data.train, valSplit, config.seed));
  if (f.limit !== undefined) {
    // smoke runs: a seeded sample of at most N training and N validation images
    const n = posInt('limit', f.limit);
    const sample = (ds: Dataset): Dataset => (ds.size > n ? subset(ds, permutation(ds.size, new Rng(config.seed)).slice(0, n).sort()) : ds);
    train = sample(train);
    if (val !== null) val = sample(val);
  }
  if (train.size === 0) throw new Error(`data: ${data.description} has no training images`);

  // a new model takes its input channels and classes from the data unless flags set them; a fine-tuned one its
  // architecture from the source, with the data's channels and classes (head replaced, conv0 adapted)
  let adapted: AdaptReport | null = null;
  if (source !== null) {
    if (f.inChannels !== undefined && Number(f.inChannels) !== train.channels) {
      throw new Error(`data: ${data.description} has ${train.channels}-channel images, not --in-channels ${f.inChannels}`);
    }
    const numClasses = f.numClasses !== undefined ? posInt('num-classes', f.numClasses) : data.train.numClasses;
    const b = buildFinetuneModel(source, f, config.seed, train.channels, numClasses);
    built = b;
    adapted = b.report;
  } else if (built === null) {
    built = modelFromFlags(f, { seed: config.seed, init: true, inChannels: train.channels, numClasses: data.train.numClasses });
  }
  const { model, arch } = built;
  if (resume !== null) model.loadStateDict(resume.state);
  if (train.channels !== model.inChannels) {
    throw new Error(`data: ${data.description} has ${train.channels}-channel images but the model takes ${model.inChannels} (set --in-channels)`);
  }
  if (data.train.numClasses > model.numClasses) {
    throw new Error(`data: ${data.description} has ${data.train.numClasses} classes but the model predicts ${model.numClasses} (set --num-classes)`);
  }
  model.checkInput([1, train.channels, train.height, train.width]);

  if (f.maxMemory !== undefined) fitBatchToMemory(f.maxMemory, model, config, [train.channels, train.height, train.width], log);
  else refuseBeyondMachine(model, config, Math.min(config.batchSize, train.size), [train.channels, train.height, train.width], log);
  const backend = await getBackend(f.backend, undefined, { training: true });
  // normalisation: a resumed run's; the source weights' when the channels are unchanged; else the data's own
  const sourceStats = source !== null && adapted?.inputConv === null && source.preprocessing !== null ? source.preprocessing : null;
  const ms = resume?.meta.preprocessing ?? sourceStats ?? computeMeanStd(train);
  const preprocessing = { mean: ms.mean, std: ms.std, inputSize: [train.channels, train.height, train.width] as [number, number, number] };
  const sizeNote = data.imageSize !== undefined
    ? ` (${data.imageSize.why === 'given' ? (f.inputSize !== undefined ? '--input-size' : 'the checkpoint\'s size') : `${data.imageSize.why}; --input-size to change`})`
    : '';
  log.log(`train: ${arch ?? model.family} (${model.numParameters().toLocaleString('en-US')} params) on ${data.description}: ` +
    `${train.size} train / ${val?.size ?? 0} val images ${train.channels}x${train.height}x${train.width}${sizeNote}, ${backend.name} backend (${backend.threads} threads), ` +
    `memory-efficient ${config.memoryEfficient ? 'on' : 'off'}, out ${f.out}`);
  if (source !== null) logFinetune(log, source, adapted!, sourceStats !== null, model, config);
  if (resume !== null && resume.meta.training !== null) {
    log.log(`train: resuming ${f.resume} at epoch ${resume.meta.training.epoch + 1}, batch ${resume.meta.training.batchInEpoch}, step ${resume.meta.training.step}`);
    if (config.frozenBody) log.log('train: backbone frozen, as in the run resumed');
    else if (config.backboneLrScale !== undefined && config.backboneLrScale !== 1) log.log(`train: backbone learning rate ${config.backboneLrScale} x the classifier's`);
  }

  let stop = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop) process.exit(signal === 'SIGINT' ? 130 : 143); // safe: saves are atomic, the last checkpoint stays whole
    stop = true;
    log.log(`train: ${signal === 'SIGINT' ? 'interrupted' : 'terminated (SIGTERM)'}; saving after this step (Ctrl-C again to quit now)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const t0 = performance.now();
  try {
    const result = await fit({
      model, arch, backend, train, val, classNames: data.train.classNames, preprocessing, config, outDir: f.out,
      ...(resume !== null ? { resume } : {}),
      ...(source !== null ? { finetunedFrom: source.from } : {}),
      shouldStop: () => stop,
      onStep: (p) => log.update(`epoch ${p.epoch}/${p.epochs}`, p.batch, p.batches,
        `loss ${p.loss.toFixed(4)}  acc ${(100 * p.acc).toFixed(1)}%  ${p.imagesPerSec.toFixed(0)} img/s  lr ${p.lr.toPrecision(3)}  ETA ${formatDuration(p.etaSec)}`),
      onEpoch: (m) => {
        log.done();
        const v = m.val_acc !== null ? `  val_loss ${m.val_loss!.toFixed(4)}  val_acc ${(100 * m.val_acc).toFixed(2)}%` : '';
        log.log(`epoch ${m.epoch}: train_loss ${m.train_loss.toFixed(4)}  train_acc ${(100 * m.train_acc).toFixed(2)}%${v}  ${m.images_per_s.toFixed(0)} img/s  ${m.seconds.toFixed(1)} s`);
      },
    });
    log.done();
    const seconds = (performance.now() - t0) / 1000;
    const where = join(f.out, 'last.safetensors');
    if (stop) log.log(`train: saved ${where} (epoch ${result.state.epoch + 1}, batch ${result.state.batchInEpoch}); continue with --resume ${where}`);
    else log.log(`train: done in ${formatDuration(seconds)}; best val acc ${(100 * Math.max(0, result.state.bestValAcc)).toFixed(2)}%; wrote ${f.out}/{last,best}.safetensors, metrics.jsonl, curves.svg`);
    return { result, model, arch, input: preprocessing.inputSize, seconds };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What fine-tuning did to the source weights, one line each. */
function logFinetune(log: Progress, src: FinetuneSource, r: AdaptReport, sourceStats: boolean, model: ImageClassifier, c: TrainConfig): void {
  log.log(`train: fine-tuning from ${src.description}`);
  if (r.classifier !== null) {
    log.log(`train: ${r.classifier.name} replaced: ${r.classifier.from} -> ${r.classifier.to} classes (new layer, seeded torchvision init)`);
  }
  if (r.inputConv !== null) {
    const how = r.inputConv.to === 1 ? 'filters summed over its input channels' : `filters repeated over the channels and scaled by ${r.inputConv.from}/${r.inputConv.to}`;
    log.log(`train: ${r.inputConv.name} adapted from ${r.inputConv.from} to ${r.inputConv.to} input channels (${how}, as timm's adapt_input_conv)`);
  }
  log.log(sourceStats ? 'train: normalising with the source weights\' mean/std' : 'train: normalising with the data\'s own mean/std');
  if (c.frozenBody) {
    const head = headParameterNames(model);
    const n = model.namedParameters().filter(([name]) => head.includes(name)).reduce((a, [, p]) => a + p.size, 0);
    log.log(`train: backbone frozen (eval mode, no gradients); training the ${n.toLocaleString('en-US')} parameters of ${head[0].slice(0, head[0].lastIndexOf('.'))}`);
  } else if (c.backboneLrScale !== undefined && c.backboneLrScale !== 1) {
    log.log(`train: backbone learning rate ${c.backboneLrScale} x the classifier's`);
  }
}

function parseSize(s: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(s.trim());
  if (!m) throw new Error(`--input-size expects H or HxW (e.g. 224 or 64x64), got '${s}'`);
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

/** Parses 4GB, 512MB, 2.5GiB, 1000000 (bytes). */
export function parseBytes(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib|tb|tib)?\s*$/i.exec(s);
  if (!m) throw new Error(`--max-memory expects a size such as 4GB or 512MiB, got '${s}'`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult: Record<string, number> = { b: 1, kb: 1e3, kib: 2 ** 10, mb: 1e6, mib: 2 ** 20, gb: 1e9, gib: 2 ** 30, tb: 1e12, tib: 2 ** 40 };
  return Number(m[1]) * mult[unit];
}

/**
 * --max-memory: keeps the requested batch if its planned training memory fits, else the largest batch that
 * does; refuses up front (with the estimate) when not even batch 1 fits, instead of being killed later.
 */
function fitBatchToMemory(spec: string, model: ImageClassifier, config: TrainConfig, input: [number, number, number], log: Progress): void {
  const budget = parseBytes(spec);
  const [c, h, w] = input;
  const need = (b: number): number => {
    const p = planMemory(model, c, h, w, b);
    return config.memoryEfficient ? p.trainEfficientBytes : p.trainNaiveBytes;
  };
  const asked = need(config.batchSize);
  if (asked <= budget) {
    log.log(`train: batch ${config.batchSize} needs about ${bytes(asked)} (within --max-memory ${spec})`);
    return;
  }
  const b = largestBatch(model, c, h, w, budget, config.memoryEfficient, config.batchSize);
  if (b === 0) {
    throw new Error(`--max-memory ${spec}: even batch 1 needs about ${bytes(need(1))} (batch ${config.batchSize}: ${bytes(asked)})` +
      (config.memoryEfficient ? '' : '; --memory-efficient needs less'));
  }
  log.log(`train: batch ${config.batchSize} would need about ${bytes(asked)} > --max-memory ${spec}; using batch ${b} (${bytes(need(b))})`);
  config.batchSize = b;
}

/**
 * Without --max-memory: a batch (as large as the data fills) whose planned training memory exceeds what this machine (or its cgroup) has is
 * refused up front with the planner's estimate, rather than swapping or being killed mid-epoch; one that exceeds
 * the memory free right now only gets a warning (free memory moves).
 */
function refuseBeyondMachine(model: ImageClassifier, config: TrainConfig, batch: number, input: [number, number, number], log: Progress): void {
  const [c, h, w] = input;
  const p = planMemory(model, c, h, w, batch); // the batch the data can fill
  const need = config.memoryEfficient ? p.trainEfficientBytes : p.trainNaiveBytes;
  const limit = process.constrainedMemory();
  const total = limit > 0 ? Math.min(limit, totalmem()) : totalmem();
  const what = `batch ${batch} at ${c}x${h}x${w} needs about ${bytes(need)} (planner estimate, memory-efficient ${config.memoryEfficient ? 'on' : 'off'})`;
  if (need > total) {
    throw new Error(`train: ${what} but this machine has ${bytes(total)}; use a smaller --batch-size` +
      `${config.memoryEfficient ? '' : ', --memory-efficient'} or --max-memory to pick a batch that fits`);
  }
  if (need > freemem()) log.log(`train: warning: ${what}, more than the ${bytes(freemem())} free now`);
}
