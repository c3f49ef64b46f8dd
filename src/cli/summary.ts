/** `densenet summary`: the per-layer table, totals, and per dense block its layers, connections and channels. */
import { DenseNet } from '../models/densenet.js';
import { summarize, type ModelSummary } from '../models/summary.js';
import { bytes, commas, si, table } from './format.js';
import { modelConfigFrom, parseInputShape, type ModelFlags } from './model-options.js';

export interface SummaryFlags extends ModelFlags {
  input?: string;
  batchSize?: string;
  json?: boolean;
}

export function runSummary(name: string | undefined, flags: SummaryFlags): void {
  const config = modelConfigFrom(flags, name);
  const model = new DenseNet(config, 0, { init: false });
  const def = config.stem === 'imagenet' ? 224 : 32;
  const [c, h, w] = flags.input !== undefined ? parseInputShape(flags.input) : [config.inChannels, def, def];
  const batch = flags.batchSize !== undefined ? Number(flags.batchSize) : 1;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch-size expects a positive integer, got '${flags.batchSize}'`);
  model.checkInput([batch, c, h, w]);
  const s = summarize(model, c, h, w, batch);
  if (flags.json) {
    process.stdout.write(JSON.stringify({ model: name ?? flags.config ?? 'custom', config, ...s }, null, 2) + '\n');
    return;
  }
  process.stdout.write(render(s, name ?? flags.config ?? 'custom') + '\n');
}

function render(s: ModelSummary, title: string): string {
  const rows = s.rows.map((r) => [r.name, r.kind, `[${r.out.join(', ')}]`, commas(r.params), si(r.macs), bytes(r.activationBytes)]);
  const blocks = s.blocks.map((b) => [b.name, String(b.layers), commas(b.connections), `${b.channelsIn} -> ${b.channelsOut}`, `${b.size[0]}x${b.size[1]}`]);
  return [
    `${title}  input [${s.input.join(', ')}]`,
    '',
    table(['layer', 'kind', 'output', 'params', 'MACs', 'activations'], rows, new Set([3, 4, 5])),
    '',
    table(['dense block', 'layers L', 'connections L(L+1)/2', 'channels', 'size'], blocks, new Set([1, 2])),
    '',
    `params (trainable): ${commas(s.params)}`,
    `MACs: ${si(s.macs)} (${commas(s.macs)}; conv + linear, batch ${s.input[0]})`,
    `inference working memory: ${bytes(s.workspaceBytes)}`,
  ].join('\n');
}
