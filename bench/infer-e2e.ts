/**
 * `densenet infer` end to end against onnxruntime-node doing the same job (bench/ort-infer.mjs): each a fresh
 * process that starts, loads DenseNet-121 (ours: torchvision's .pth; theirs: the .onnx exported from the same
 * weights by reference/make_fixtures.py --large), decodes and preprocesses 16 images (the 5 committed photos
 * repeated, copied into a temp folder), runs them and writes the logits. Wall time from spawn to exit, the two
 * interleaved, medians of `reps`. Ours runs the compiled CLI (bin/densenet.js -> dist/), as `npx densenet` does.
 * Used by `npm run bench -- --only infer`; alone: node --import tsx bench/infer-e2e.ts [reps].
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { median, ROOT } from './lib.js';

export const INFER_IMAGES = 16;

export interface InferE2E {
  ours_ms: number;
  ort_ms: number;
  /** the last run's `--timing` line of ours and phase marks of theirs */
  ours_timing: string;
  ort_timing: string;
}

/** The newest modification time under `dir` (ms). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** null with a reason printed when a file is missing or dist/ is older than src/. */
export function inferE2E(reps: number): InferE2E | null {
  const pth = `${ROOT}test/fixtures/large/densenet121.pth`;
  const onnx = `${ROOT}test/fixtures/large/densenet121.onnx`;
  const main = `${ROOT}dist/cli/main.js`;
  const skip = (why: string): null => (console.log(`infer row skipped: ${why}`), null);
  if (!existsSync(pth) || !existsSync(onnx)) return skip('needs test/fixtures/large/densenet121.{pth,onnx} (/usr/bin/python3 reference/make_fixtures.py --large)');
  if (!existsSync(main) || statSync(main).mtimeMs < newest(`${ROOT}src`)) return skip('dist/ is missing or older than src/ (npm run build)');

  const photos = `${ROOT}test/fixtures/photos/`;
  const names = readdirSync(photos).sort();
  const dir = mkdtempSync(join(tmpdir(), 'dn-infer-bench-'));
  try {
    const images = Array.from({ length: INFER_IMAGES }, (_, i) => {
      const f = join(dir, `img${String(i).padStart(2, '0')}${extname(names[i % names.length])}`);
      copyFileSync(photos + names[i % names.length], f);
      return f;
    });
    const run = (args: string[]): { ms: number; stdout: string; stderr: string } => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`bench infer: ${args.slice(0, 2).join(' ')} failed: ${r.stderr.trim().split('\n').pop()}`);
      return { ms, stdout: r.stdout, stderr: r.stderr };
    };
    const oursArgs = ['bin/densenet.js', 'infer', '--arch', 'densenet121', '--weights', pth, '--output', join(dir, 'ours.safetensors'), '--timing', dir];
    const ortArgs = ['bench/ort-infer.mjs', onnx, join(dir, 'ort.safetensors'), ...images];
    const ours: number[] = [];
    const ort: number[] = [];
    let oursTiming = '';
    let ortTiming = '';
    run(oursArgs); // warm the page cache for both
    run(ortArgs);
    for (let i = 0; i < reps; i++) {
      const a = run(oursArgs);
      const b = run(ortArgs);
      ours.push(a.ms);
      ort.push(b.ms);
      oursTiming = a.stderr.split('\n').filter((l) => l.includes('timing')).join(' | ');
      ortTiming = b.stdout.trim();
    }
    return { ours_ms: median(ours), ort_ms: median(ort), ours_timing: oursTiming, ort_timing: ortTiming };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('infer-e2e.ts')) {
  const r = inferE2E(Number(process.argv[2] ?? 7));
  if (r !== null) {
    console.log(`densenet infer: ${r.ours_ms.toFixed(0)} ms, onnxruntime-node script: ${r.ort_ms.toFixed(0)} ms, ratio ${(r.ours_ms / r.ort_ms).toFixed(2)}x the time`);
    console.log(`ours (last run): ${r.ours_timing}\nort (last run, ms since start): ${r.ort_timing}`);
  }
}
