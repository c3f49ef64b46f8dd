/** `densenet summary`: the per-layer table, totals, and per dense block its layers, connections and channels. */
import { planMemory, type MemoryPlan } from '../models/memory.js';
import { summarize, type ModelSummary } from '../models/summary.js';
import { bytes, commas, si, table } from './format.js';
import { modelFromFlags } from './build-model.js';
import { parseInputShape, type ModelFlags } from './model-options.js';

export interface SummaryFlags extends ModelFlags {
  input?: string;
  batchSize?: string;
  json?: boolean;
}

export function runSummary(name: string | undefined, flags: SummaryFlags): void {
  const { model } = modelFromFlags(flags, { seed: 0, init: false }, name);
  const [c, h, w] = flags.input !== undefined ? parseInputShape(flags.input) : model.defaultInput;
  const batch = flags.batchSize !== undefined ? Number(flags.batchSize) : 1;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch-size expects a positive integer, got '${flags.batchSize}'`);
  model.checkInput([batch, c, h, w]);
  const s = summarize(model, c, h, w, batch);
  const memory = planMemory(model, c, h, w, batch);
  if (flags.json) {
    process.stdout.write(JSON.stringify({ model: name ?? flags.config ?? 'custom', family: model.family, config: model.modelConfig, ...s, memory }, null, 2) + '\n');
    return;
  }
  process.stdout.write(render(s, memory, name ?? flags.config ?? 'custom') + '\n');
}

function render(s: ModelSummary, m: MemoryPlan, title: string): string {
  const rows = s.rows.map((r) => [r.name, r.kind, `[${r.out.join(', ')}]`, commas(r.params), si(r.macs), bytes(r.activationBytes)]);
  const blocks = s.blocks.map((b) => [b.name, String(b.layers), commas(b.connections), `${b.channelsIn} -> ${b.channelsOut}`, `${b.size[0]}x${b.size[1]}`]);
  return [
    `${title}  input [${s.input.join(', ')}]`,
    '',
    table(['layer', 'kind', 'output', 'params', 'MACs', 'activations'], rows, new Set([3, 4, 5])),
    '',
    ...(blocks.length > 0 ? [table(['dense block', 'layers L', 'connections L(L+1)/2', 'channels', 'size'], blocks, new Set([1, 2])), ''] : []),
    `params (trainable): ${commas(s.params)}`,
    `MACs: ${si(s.macs)} (${commas(s.macs)}; conv + linear, batch ${s.input[0]})`,
    `memory at batch ${m.batch} (engine: weights, activations, gradients, momentum):`,
    `  inference                    ${bytes(m.inferenceBytes)}`,
    `  training, memory-efficient   ${bytes(m.trainEfficientBytes)} (activations and their gradients ${bytes(m.activationEfficientBytes)})`,
    `  training, naive              ${bytes(m.trainNaiveBytes)} (activations and their gradients ${bytes(m.activationNaiveBytes)})`,
  ].join('\n');
}
