/** `densenet list`: the named variants with their parameter counts and MACs at their usual input size. */
import { DenseNet } from '../models/densenet.js';
import { summarize } from '../models/summary.js';
import { VARIANTS } from '../models/variants.js';
import { createResNet, RESNET_VARIANTS } from '../models/variants-resnet.js';
import type { ImageClassifier } from '../models/classifier.js';
import { commas, si, table } from './format.js';

export interface ListRow {
  name: string;
  description: string;
  params: number;
  macs: number;
  input: string;
}

function row(name: string, description: string, model: ImageClassifier): ListRow {
  const [c, h, w] = model.defaultInput;
  const s = summarize(model, c, h, w);
  return { name, description, params: s.params, macs: s.macs, input: `${c}x${h}x${w}` };
}

/** Every named model: the DenseNets, then the ResNet baselines. */
export function listVariants(): ListRow[] {
  return [
    ...Object.entries(VARIANTS).map(([name, v]) => row(name, v.description, new DenseNet(v.config, 0, { init: false }))),
    ...Object.entries(RESNET_VARIANTS).map(([name, v]) => row(name, v.description, createResNet(name, {}, 0, { init: false }))),
  ];
}

export function runList(opts: { json?: boolean }): void {
  const rows = listVariants();
  if (opts.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  process.stdout.write(
    table(['name', 'params', 'MACs', 'input', 'description'], rows.map((r) => [r.name, commas(r.params), si(r.macs), r.input, r.description]), new Set([1, 2])) + '\n',
  );
}
