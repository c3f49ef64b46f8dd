/**
 * Loading DenseNet-121's weights, from file read to a model ready to forward: readWeightsFile (read, parse,
 * checks: CRC-32, layout, pickle), building the model (init: false) and loadStateDict (the one copy into the
 * model's parameters). For torchvision's zip .pth, the legacy .pth and safetensors (written from the .pth into a
 * temp folder here). `--baseline DIR` also times DIR's src/io/weights-file.ts (another worktree or checkout:
 * an older reader) interleaved with this one, rep by rep, so the two are compared in one run.
 * Usage: node --import tsx bench/load.ts [--reps 7] [--baseline /path/to/checkout]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readWeightsFile, writeSafetensorsFile } from '../src/io/weights-file.js';
import { DenseNet } from '../src/models/densenet.js';
import { variantConfig } from '../src/models/variants.js';
import { median, ROOT } from './lib.js';

type Reader = typeof readWeightsFile;
const args = process.argv.slice(2);
const arg = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const reps = Number(arg('--reps') ?? 7);
const baselineDir = arg('--baseline');

const LARGE = `${ROOT}test/fixtures/large/`;
const tmp = mkdtempSync(join(tmpdir(), 'dn-load-bench-'));
const safetensors = join(tmp, 'densenet121.safetensors');
await writeSafetensorsFile(safetensors, (await readWeightsFile(`${LARGE}densenet121.pth`)).tensors);
const files: [string, string][] = [
  ['zip .pth', `${LARGE}densenet121.pth`],
  ['legacy .pth', `${LARGE}densenet121-legacy.pth`],
  ['safetensors', safetensors],
];

const readers: [string, Reader][] = [['this tree', readWeightsFile]];
if (baselineDir !== undefined) {
  const mod = (await import(pathToFileURL(join(baselineDir, 'src/io/weights-file.ts')).href)) as { readWeightsFile: Reader };
  readers.unshift([`baseline ${baselineDir}`, mod.readWeightsFile]);
}

/** One load: [read+parse, build, copy, total] in ms. */
async function loadOnce(read: Reader, file: string): Promise<number[]> {
  const t0 = performance.now();
  const { tensors } = await read(file);
  const t1 = performance.now();
  const model = new DenseNet(variantConfig('densenet121'), 0, { init: false });
  const t2 = performance.now();
  model.loadStateDict(tensors);
  model.eval();
  const t3 = performance.now();
  return [t1 - t0, t2 - t1, t3 - t2, t3 - t0];
}

console.log(`DenseNet-121 weights, file read -> model ready; medians of ${reps}, readers interleaved\n`);
console.log('| file | reader | read+parse ms | build ms | copy ms | total ms |');
console.log('| --- | --- | --- | --- | --- | --- |');
try {
  for (const [what, file] of files) {
    for (const [, read] of readers) await loadOnce(read, file); // warm-up: page cache, JIT
    const samples = readers.map((): number[][] => []);
    for (let r = 0; r < reps; r++) for (let i = 0; i < readers.length; i++) samples[i].push(await loadOnce(readers[i][1], file));
    const totals: number[] = [];
    readers.forEach(([name], i) => {
      const med = [0, 1, 2, 3].map((c) => median(samples[i].map((s) => s[c])));
      totals.push(med[3]);
      console.log(`| ${what} | ${name} | ${med.map((v) => v.toFixed(1)).join(' | ')} |`);
    });
    if (readers.length === 2) console.log(`| ${what} | this tree vs baseline | | | | ${(totals[1] / totals[0]).toFixed(2)}x the time |`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
