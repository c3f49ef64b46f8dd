/**
 * `densenet list`: the named variants with their parameter counts and MACs at their usual input size.
 * The counts come from building each model and running the summary's dry forward pass (models/summary.ts), which
 * takes over a second for all of them; so list prints the copy kept in list-stats.ts, where each row is keyed by
 * its variant's config, and computes only the rows whose config the copy does not hold (a new or edited
 * variant). test/cli/list.test.ts checks the copy against a fresh computation; scripts/list-stats.ts rewrites it.
 */
import { VARIANTS } from '../models/variants.js';
import { RESNET_VARIANTS } from '../models/variants-resnet.js';
import type { ImageClassifier } from '../models/classifier.js';
import { commas, si, table } from './format.js';
import { LIST_STATS } from './list-stats.js';

export interface ListRow {
  name: string;
  description: string;
  params: number;
  macs: number;
  input: string;
}

/** One row's counts, and the config they were computed for. */
export interface ListStats {
  key: string;
  params: number;
  macs: number;
  input: string;
}

interface Named {
  family: 'densenet' | 'resnet';
  name: string;
  description: string;
  /** the variant's config as JSON: the counts are valid for this config */
  key: string;
}

function namedModels(): Named[] {
  return [
    ...Object.entries(VARIANTS).map(([name, v]): Named => ({ family: 'densenet', name, description: v.description, key: JSON.stringify(v.config) })),
    ...Object.entries(RESNET_VARIANTS).map(([name, v]): Named => ({ family: 'resnet', name, description: v.description, key: JSON.stringify(v.config) })),
  ];
}

/** Builds the model and counts its parameters and MACs (the slow path; the modules load only when needed). */
async function computeStats(n: Named): Promise<ListStats> {
  const [{ DenseNet }, { summarize }, { createResNet }] = await Promise.all([
    import('../models/densenet.js'), import('../models/summary.js'), import('../models/variants-resnet.js'),
  ]);
  const model: ImageClassifier = n.family === 'densenet' ? new DenseNet(VARIANTS[n.name].config, 0, { init: false }) : createResNet(n.name, {}, 0, { init: false });
  const [c, h, w] = model.defaultInput;
  const s = summarize(model, c, h, w);
  return { key: n.key, params: s.params, macs: s.macs, input: `${c}x${h}x${w}` };
}

/** Every named model: the DenseNets, then the ResNet baselines. `fresh` recomputes every row instead of using the copy. */
export async function listVariants(opts: { fresh?: boolean } = {}): Promise<ListRow[]> {
  const rows: ListRow[] = [];
  for (const n of namedModels()) {
    const kept = Object.hasOwn(LIST_STATS, n.name) ? LIST_STATS[n.name] : undefined;
    const s = !opts.fresh && kept !== undefined && kept.key === n.key ? kept : await computeStats(n);
    rows.push({ name: n.name, description: n.description, params: s.params, macs: s.macs, input: s.input });
  }
  return rows;
}

/** A string literal: single-quoted when that needs no escapes (JSON configs read better so). */
const quote = (s: string): string => (/['\\\n]/.test(s) ? JSON.stringify(s) : `'${s}'`);

/** The contents of list-stats.ts for the current variants (scripts/list-stats.ts writes it). */
export async function listStatsSource(): Promise<string> {
  const entries: string[] = [];
  for (const n of namedModels()) {
    const s = await computeStats(n);
    entries.push(`  ${quote(n.name)}: { key: ${quote(s.key)}, params: ${s.params}, macs: ${s.macs}, input: ${quote(s.input)} },`);
  }
  return `/**
 * Parameter counts and MACs of the named variants, as \`densenet list\` prints them, each keyed by the variant's
 * config (JSON). Written by \`node --import tsx scripts/list-stats.ts\`; test/cli/list.test.ts checks it.
 */
import type { ListStats } from './list.js';

export const LIST_STATS: Readonly<Record<string, ListStats>> = {
${entries.join('\n')}
};
`;
}

/** What `densenet list` prints: a table, or with `json` the rows as JSON. */
export function formatList(rows: ListRow[], json = false): string {
  if (json) return JSON.stringify(rows, null, 2) + '\n';
  return table(['name', 'params', 'MACs', 'input', 'description'], rows.map((r) => [r.name, commas(r.params), si(r.macs), r.input, r.description]), new Set([1, 2])) + '\n';
}

export async function runList(opts: { json?: boolean }): Promise<void> {
  process.stdout.write(formatList(await listVariants(), opts.json === true));
}
