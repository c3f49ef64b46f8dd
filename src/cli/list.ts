/** `densenet list`: the named variants with their parameter counts and MACs at their usual input size. */
import { DenseNet } from '../models/densenet.js';
import { summarize } from '../models/summary.js';
import { VARIANTS } from '../models/variants.js';
import { commas, si, table } from './format.js';

export interface ListRow {
  name: string;
  description: string;
  params: number;
  macs: number;
  input: string;
}

export function listVariants(): ListRow[] {
  return Object.entries(VARIANTS).map(([name, v]) => {
    const model = new DenseNet(v.config, 0, { init: false });
    const size = model.config.stem === 'imagenet' ? 224 : 32;
    const s = summarize(model, model.config.inChannels, size, size);
    return { name, description: v.description, params: s.params, macs: s.macs, input: `${model.config.inChannels}x${size}x${size}` };
  });
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
