/**
 * Helpers shared by the benchmarks: medians, repeated timing, and running one measurement in a child process
 * that prints a JSON object on its last stdout line. Timing lives in bench/, never in tests.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** glibc settings that keep freed memory, for PyTorch's best speed here (DESIGN.md). */
export const TORCH_ENV = { MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: '68719476736', MALLOC_TOP_PAD_: '1073741824' };

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Wall times in ms of `reps` calls after `warmup` untimed ones. */
export async function timeIt(fn: () => Promise<unknown> | unknown, reps: number, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Runs `cmd args` in the repository root; the parsed JSON of its last stdout line, or null if it failed. */
export function spawnJson<T>(cmd: string, args: string[], env: Record<string, string> = {}): T | null {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 20 });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as T;
  } catch {
    return null;
  }
}
