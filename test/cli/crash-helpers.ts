/**
 * Shared by the crash-safety CLI tests: a tiny learnable IDX data set written to a temp folder (32 training and
 * 8 test images of 1x8x8 in 2 classes whose brightness depends on the class), the tiny model's flags, and a
 * `densenet` child process that can be signalled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/tensor/rng.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TINY = ['--block-config', '2,2', '--growth-rate', '4', '--init-features', '8', '--stem', 'cifar'];

function idx(magic: number, dims: number[], body: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, body]);
}

/** Writes train-* and t10k-* IDX files; returns the `--data` spec (idx:DIR). */
export function tinyIdxData(nTrain = 32, nTest = 8, seed = 3): string {
  const dir = mkdtempSync(join(tmpdir(), 'dn-tiny-idx-'));
  const rng = new Rng(seed);
  for (const [prefix, n] of [['train', nTrain], ['t10k', nTest]] as const) {
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 2);
    const images = new Uint8Array(n * 64);
    for (let i = 0; i < n; i++) for (let j = 0; j < 64; j++) images[i * 64 + j] = Math.min(255, Math.floor(100 * labels[i] + 120 * rng.uniform()));
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idx(0x803, [n, 8, 8], images));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idx(0x801, [n], labels));
  }
  return `idx:${dir}`;
}

/** `densenet ARGS` from source (through tsx), not waited for. */
export function spawnDensenet(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits for a child's exit: its code (null if killed by a signal), the signal, and its stderr. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout?.resume();
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}
