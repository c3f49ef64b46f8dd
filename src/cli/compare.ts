/**
 * `densenet compare`: trains several models with the same recipe and data (as the paper sets DenseNets against
 * ResNets) and prints one table: parameters, MACs, best validation accuracy, training images/s and the engine's
 * training memory (activation/gradient workspace plus weights, gradients and momentum).
 */
import { join } from 'node:path';
import { summarize } from '../models/summary.js';
import { bytes, commas, si, table } from './format.js';
import { Progress } from './progress.js';
import { trainFromFlags, type TrainFlags } from './train.js';

export interface CompareFlags extends TrainFlags {
  archs: string;
  json?: boolean;
}

export interface CompareRow {
  arch: string;
  params: number;
  macs: number;
  best_val_acc: number;
  images_per_s: number;
  train_memory_bytes: number;
  seconds: number;
}

export async function runCompare(f: CompareFlags): Promise<void> {
  const archs = f.archs.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (archs.length === 0) throw new Error('--archs expects a comma-separated list, e.g. densenet-bc-100,resnet56');
  if (f.resume !== undefined) throw new Error('compare starts fresh runs; --resume is not supported here');
  const log = new Progress();
  const rows: CompareRow[] = [];
  for (const arch of archs) {
    const o = await trainFromFlags({ ...f, arch, out: join(f.out, arch) }, log);
    const [c, h, w] = o.input;
    const m = o.result.metrics;
    const seen = m.reduce((s, r) => s + r.images_per_s * r.seconds, 0);
    const secs = m.reduce((s, r) => s + r.seconds, 0);
    rows.push({
      arch,
      params: o.model.numParameters(),
      macs: summarize(o.model, c, h, w).macs,
      best_val_acc: Math.max(...m.map((r) => r.val_acc ?? r.train_acc)),
      images_per_s: seen / Math.max(secs, 1e-9),
      // weights + gradients + momentum, and the activation/gradient workspace the step reached
      train_memory_bytes: 3 * 4 * o.model.numParameters() + o.model.workspaceBytes(),
      seconds: o.seconds,
    });
  }
  if (f.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  process.stdout.write(table(
    ['model', 'params', 'MACs/image', 'best val acc', 'train img/s', 'train memory', 'time'],
    rows.map((r) => [r.arch, commas(r.params), si(r.macs), `${(100 * r.best_val_acc).toFixed(2)}%`, r.images_per_s.toFixed(0), bytes(r.train_memory_bytes), `${r.seconds.toFixed(0)} s`]),
    new Set([1, 2, 3, 4, 5, 6]),
  ) + '\n');
}
