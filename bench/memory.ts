/**
 * `npm run bench:memory`: peak memory and time of one training step, naive vs memory-efficient, for DenseNet-BC
 * (L=100 k=12, L=190 k=12, L=250 k=24 at batch 64, 32x32) and DenseNet-121 (batch 16, 224x224); ours (process
 * peak RSS and the engine's activation bytes) and, in the same run, PyTorch's naive and memory_efficient=True when
 * the system Python has torch. Each configuration runs in a process of its own. Also the linear fit of the
 * efficient mode's activation memory over depth. `--json FILE` writes the rows; `--quick` runs the first model only; `--plan` only the dry-run depth fit.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DenseNet } from '../src/models/densenet.js';
import { planMemory } from '../src/models/memory.js';
import { ROOT, TORCH_ENV } from './lib.js';

const quick = process.argv.includes('--quick');
const planOnly = process.argv.includes('--plan');
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : undefined;
const CASES: [string, number, number][] = [
  ['densenet-bc-100', 64, 32], ['densenet-bc-190-k12', 64, 32], ['densenet-bc-250', 64, 32], ['densenet121', 16, 224],
];

interface Run { step_s: number; peak_rss_bytes: number; activation_bytes?: number }

function runJson(cmd: string, args: string[], env: Record<string, string> = {}): Run | string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 20 });
  if (r.signal !== null) return r.signal === 'SIGKILL' ? 'OOM-killed' : `killed ${r.signal}`; // the kernel's OOM killer sends SIGKILL
  if (r.status !== 0) return (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() ?? 'failed';
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Run;
}

const torchOk = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const gb = (b: number | undefined): string => (b === undefined ? '-' : (b / 2 ** 30).toFixed(2));
const rows: Record<string, unknown>[] = [];
console.log(`peak RSS and activation memory in GiB, step time in s (median); PyTorch ${torchOk ? '1.13 with glibc kept-memory settings' : 'not installed'}`);
console.log('model                 batch  mode       ours RSS  ours act  ours step   torch RSS  torch step');
for (const [model, batch, size] of planOnly ? [] : quick ? CASES.slice(0, 1) : CASES) {
  for (const naive of [true, false]) {
    const steps = model === 'densenet-bc-250' || model === 'densenet121' ? '1' : '3';
    const ours = runJson(process.execPath, ['--import', 'tsx', 'bench/train-once.ts', '--model', model, '--batch', String(batch), '--size', String(size), '--steps', steps, ...(naive ? ['--naive'] : [])]);
    const torch = torchOk
      ? runJson('/usr/bin/python3', ['reference/bench_torch.py', '--model', model, '--batch', String(batch), '--size', String(size), '--steps', steps, '--warmup', '1', '--threads', '2', ...(naive ? [] : ['--memory-efficient'])], TORCH_ENV)
      : 'no torch';
    const o = typeof ours === 'string' ? null : ours;
    const t = typeof torch === 'string' ? null : torch;
    rows.push({ model, batch, size, mode: naive ? 'naive' : 'efficient', ours: o ?? ours, torch: t ?? torch });
    console.log(`${model.padEnd(22)}${String(batch).padStart(5)}  ${(naive ? 'naive' : 'efficient').padEnd(9)}` +
      `${gb(o?.peak_rss_bytes).padStart(9)}${gb(o?.activation_bytes).padStart(10)}${(o ? o.step_s.toFixed(2) : 'fail').padStart(11)}` +
      `${gb(t?.peak_rss_bytes).padStart(12)}${(t ? t.step_s.toFixed(2) : String(torch).slice(0, 10)).padStart(12)}`);
  }
}

// Linear in depth? Planned activation bytes (dry run, exact) of DenseNet-BC k=12 at batch 64 over depth.
const depths = [40, 70, 100, 130, 160, 190, 250];
const pts = depths.map((L) => {
  const n = (L - 4) / 6;
  const m = new DenseNet({ growthRate: 12, blockConfig: [n, n, n], initFeatures: 24, stem: 'cifar', numClasses: 10 }, 0, { init: false });
  const p = planMemory(m, 3, 32, 32, 64);
  return { L, efficient: p.activationEfficientBytes, naive: p.activationNaiveBytes };
});
const fit = (ys: number[]): { slope: number; r2: number } => {
  const xs = pts.map((p) => p.L);
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  const slope = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const ssRes = xs.reduce((s, x, i) => s + (ys[i] - (my + slope * (x - mx))) ** 2, 0);
  const ssTot = ys.reduce((s, y) => s + (y - my) ** 2, 0);
  return { slope, r2: 1 - ssRes / ssTot };
};
const fe = fit(pts.map((p) => p.efficient));
const fn = fit(pts.map((p) => p.naive));
console.log(`\nactivation memory vs depth, DenseNet-BC k=12, batch 64, 32x32 (planned by dry run): L = ${depths.join(', ')}`);
console.log(`  efficient (MiB): ${pts.map((p) => (p.efficient / 2 ** 20).toFixed(0)).join(', ')}  linear fit ${(fe.slope / 2 ** 20).toFixed(2)} MiB/layer, R^2 ${fe.r2.toFixed(5)}`);
console.log(`  naive     (MiB): ${pts.map((p) => (p.naive / 2 ** 20).toFixed(0)).join(', ')}  linear fit R^2 ${fn.r2.toFixed(5)} (grows quadratically)`);
if (jsonOut !== undefined) {
  mkdirSync(dirname(jsonOut), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify({ rows, depth: pts, fit: { efficient: fe, naive: fn } }, null, 2) + '\n');
}
