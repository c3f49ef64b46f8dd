/**
 * The training loop under failure: a save that fails (an injected ENOSPC writer; a real full tmpfs when this
 * process may mount one) stops with one message and leaves the previous checkpoint byte for byte; an unwritable
 * or too-full output folder is refused before the first step; a non-finite gradient stops the run naming the
 * step and the first parameter in model order, the checkpoint on disk being the last good step's; and
 * --clip-grad-norm matches torch.nn.utils.clip_grad_norm_ (values from PyTorch 1.13) and bounds the update.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadBackend } from '../../src/backend/select.js';
import { fromArrays } from '../../src/data/dataset.js';
import { DenseNet } from '../../src/models/densenet.js';
import { Parameter } from '../../src/nn/parameter.js';
import { Rng } from '../../src/tensor/rng.js';
import { readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { clipGradNorm, firstNonFinite } from '../../src/train/grad-guard.js';
import { checkOutDir, fit, prepareOutDir, type FitArgs, type TrainConfig } from '../../src/train/trainer.js';

const backend = await loadBackend('reference');

function toyData(n = 32): ReturnType<typeof fromArrays> {
  const rng = new Rng(5);
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const images = new Uint8Array(n * 64);
  for (let i = 0; i < n; i++) for (let j = 0; j < 64; j++) images[i * 64 + j] = Math.min(255, Math.floor(90 * labels[i] + 120 * rng.uniform()));
  return fromArrays(images, labels, { channels: 1, height: 8, width: 8 }, ['a', 'b']);
}
const model = (): DenseNet => new DenseNet({ growthRate: 4, blockConfig: [2, 2], initFeatures: 8, stem: 'cifar', inChannels: 1, numClasses: 2 }, 3);
const config = (extra: Partial<TrainConfig> = {}): TrainConfig => ({
  epochs: 2, batchSize: 4, lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4, noDecayOnBnAndBias: true,
  schedule: 'constant', warmupEpochs: 0, augment: null, seed: 1, maxSteps: null, memoryEfficient: true, saveEvery: 1, ...extra,
});
const pre = { mean: [0.5], std: [0.25], inputSize: [1, 8, 8] as [number, number, number] };
const args = (outDir: string, m: DenseNet, c: TrainConfig, extra: Partial<FitArgs> = {}): FitArgs => {
  const data = toyData();
  return { model: m, arch: null, backend, train: data, val: null, classNames: data.classNames, preprocessing: pre, config: c, outDir, ...extra };
};

test('a save failing with ENOSPC stops with one message; the previous last.safetensors is untouched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-enospc-'));
  let saves = 0;
  let before: Buffer | null = null;
  const failing: typeof writeCheckpoint = async (path, meta, state, momentum) => {
    if (path.endsWith('last.safetensors') && ++saves === 4) {
      before = readFileSync(path);
      writeFileSync(`${path}.tmp-${process.pid}`, 'half a file'); // what a real writer leaves mid-write
      throw new Error(`${path}: cannot write (ENOSPC: no space left on device, write)`);
    }
    return writeCheckpoint(path, meta, state, momentum);
  };
  await assert.rejects(fit(args(dir, model(), config(), { saveCheckpoint: failing })), (e: Error) => {
    assert.match(e.message, /^train: stopped at step 4: .*last\.safetensors: cannot write \(ENOSPC: no space left on device, write\); the last good checkpoint .*last\.safetensors \(step 3\) is kept$/);
    return true;
  });
  assert.deepEqual(readFileSync(join(dir, 'last.safetensors')), before);
  assert.equal((await readCheckpoint(join(dir, 'last.safetensors'))).meta.training?.step, 3);
  // the next run in that folder removes a dead writer's temp file, not a live one's (pid 1 is alive)
  writeFileSync(join(dir, 'last.safetensors.tmp-999999999'), 'from a dead process');
  writeFileSync(join(dir, 'last.safetensors.tmp-1'), 'from a live process');
  await fit(args(dir, model(), config({ maxSteps: 1 })));
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), ['last.safetensors.tmp-1']);
});

test('an output folder under a regular file is refused before the first step', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-unwritable-'));
  writeFileSync(join(dir, 'file.txt'), 'a file, not a folder');
  const out = join(dir, 'file.txt', 'sub');
  assert.throws(() => prepareOutDir(out), /^Error: train: the output folder .*file\.txt\/sub is not writable \(ENOTDIR/);
  let steps = 0;
  await assert.rejects(fit(args(out, model(), config(), { onStep: () => steps++ })), /is not writable \(ENOTDIR/);
  assert.equal(steps, 0);
});

/** A tmpfs of `size` mounted for the test, or null when this process may not mount (not root, no CAP_SYS_ADMIN). */
function tmpfs(size: string): { dir: string; unmount: () => void } | null {
  const dir = mkdtempSync(join(tmpdir(), 'dn-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return { dir, unmount: () => execFileSync('umount', [dir], { stdio: 'ignore' }) };
}
const canMount = ((): boolean => {
  const t = tmpfs('64k');
  t?.unmount();
  return t !== null;
})();
const skipMount = canMount ? false : 'cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)';

test('a real full disk (tmpfs): too small is refused up front; filling it mid-run stops cleanly, the last checkpoint intact', { skip: skipMount }, async () => {
  const small = tmpfs('256k')!;
  try {
    await assert.rejects(fit(args(join(small.dir, 'run'), model(), config())), /^Error: train: .*run has 0\.\d MiB free but the checkpoints need about 1\.\d MiB$/);
  } finally {
    small.unmount();
  }
  const disk = tmpfs('4m')!;
  try {
    const out = join(disk.dir, 'run');
    let err: Error | null = null;
    await fit(args(out, model(), config(), {
      onStep: (p) => {
        if (p.step !== 3) return;
        const s = statfsSync(disk.dir);
        writeFileSync(join(disk.dir, 'filler'), Buffer.alloc(s.bavail * s.bsize - 8192)); // leave 8 KiB
      },
    })).catch((e: Error) => (err = e));
    assert.ok(err !== null, 'the run went on with a full disk');
    const msg = (err as Error).message;
    assert.match(msg, /^train: stopped at step 3: .*last\.safetensors: cannot write \(ENOSPC: no space left on device.*\); the last good checkpoint .* \(step 2\) is kept$/);
    assert.equal((await readCheckpoint(join(out, 'last.safetensors'))).meta.training?.step, 2);
    assert.ok(!readdirSync(out).some((f) => f.includes('.tmp-')), 'the failed save removed its temp file');
  } finally {
    disk.unmount();
  }
});

test('a non-finite gradient stops the run naming the step and the first parameter; the checkpoint is the last good step', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-nan-'));
  const m = model();
  const target = 'features.denseblock2.denselayer1.conv1.weight';
  const p = m.namedParameters().find(([n]) => n === target)![1];
  const real = m.lossAndGrad.bind(m);
  let calls = 0;
  m.lossAndGrad = (...a) => {
    const r = real(...a);
    if (++calls === 5) p.grad[7] = Number.NaN; // step 5 goes bad in one layer only
    return r;
  };
  await assert.rejects(fit(args(dir, m, config())), (e: Error) => {
    assert.match(e.message, new RegExp(`^train: diverged at step 5: loss [0-9.]+, non-finite gradient \\(NaN\\) first in ${target.replace(/\./g, '\\.')} ` +
      `\\(1 of ${m.namedParameters().length} parameters affected, in model order\\); the last good checkpoint .*last\\.safetensors \\(step 4\\) is kept`));
    return true;
  });
  // the checkpoint on disk is exactly a clean 4-step run's
  const clean = mkdtempSync(join(tmpdir(), 'dn-clean-'));
  await fit(args(clean, model(), config({ maxSteps: 4 })));
  const got = await readCheckpoint(join(dir, 'last.safetensors'));
  const want = await readCheckpoint(join(clean, 'last.safetensors'));
  assert.equal(got.meta.training?.step, 4);
  for (const [name, t] of want.state) assert.deepEqual(got.state.get(name)!.data, t.data, `${name} is not the step-4 weights`);
  assert.ok(!existsSync(join(dir, 'best.safetensors')) || (await readCheckpoint(join(dir, 'best.safetensors'))).meta.training!.step < 5);
});

test('a NaN weight stops at step 1 with no checkpoint written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-nan-weight-'));
  const m = model();
  m.namedParameters()[0][1].data[0] = Number.NaN; // features.conv0.weight
  await assert.rejects(fit(args(dir, m, config())), /^Error: train: diverged at step 1: loss [^,]+, non-finite gradient \(NaN\) first in features\.conv0\.weight .*; no checkpoint was written/);
  assert.ok(!existsSync(join(dir, 'last.safetensors')));
});

test('firstNonFinite finds NaN and +-Infinity in model order', () => {
  const ps: [string, Parameter][] = [['a', new Parameter(new Float32Array([1, 2]), [2])], ['b', new Parameter(new Float32Array([3, Infinity]), [2])],
    ['c', new Parameter(new Float32Array([-Infinity]), [1])]];
  assert.deepEqual(firstNonFinite(ps, 'data'), { name: 'b', value: Infinity, count: 2 });
  assert.equal(firstNonFinite(ps, 'grad'), null); // zero gradients
  ps[0][1].grad[1] = Number.NaN;
  assert.equal(firstNonFinite(ps, 'grad')?.name, 'a');
});

test('clipGradNorm matches torch.nn.utils.clip_grad_norm_ (PyTorch 1.13 values)', () => {
  const make = (): [string, Parameter][] => {
    const a = new Parameter(new Float32Array(4), [2, 2]);
    const b = new Parameter(new Float32Array(3), [3]);
    a.grad.set([0.5, -1.25, 2.0, 0.125]);
    b.grad.set([3.0, -0.75, 1.5]);
    return [['a', a], ['b', b]];
  };
  const close = (got: Float32Array, want: number[]): void => want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= 1e-6 * Math.abs(w), `${got[i]} vs ${w}`));
  const ps = make();
  assert.ok(Math.abs(clipGradNorm(ps, 1.5) - 4.200074195861816) < 1e-6);
  close(ps[0][1].grad, [0.17856822907924652, -0.4464205801486969, 0.7142729163169861, 0.04464205726981163]);
  close(ps[1][1].grad, [1.0714093446731567, -0.2678523361682892, 0.5357046723365784]);
  const untouched = make();
  assert.ok(Math.abs(clipGradNorm(untouched, 10) - 4.200074195861816) < 1e-6);
  assert.deepEqual(Array.from(untouched[1][1].grad), [3.0, -0.75, 1.5]);
  assert.throws(() => clipGradNorm(make(), 0), /clip-grad-norm: the maximum norm must be positive/);
});

test('with --clip-grad-norm the first plain-SGD update has total norm lr x maxNorm', async () => {
  const m = model();
  const w0 = m.namedParameters().map(([, p]) => Float32Array.from(p.data));
  const lr = 0.5;
  const maxNorm = 1e-3;
  await fit(args(mkdtempSync(join(tmpdir(), 'dn-clip-')), m, config({ lr, momentum: 0, nesterov: false, weightDecay: 0, maxSteps: 1, clipGradNorm: maxNorm })));
  let sq = 0;
  m.namedParameters().forEach(([, p], i) => p.data.forEach((v, j) => (sq += (v - w0[i][j]) ** 2)));
  assert.ok(Math.abs(Math.sqrt(sq) - lr * maxNorm) < 1e-3 * lr * maxNorm, `update norm ${Math.sqrt(sq)}`);
});

test('saveEvery writes mid-epoch checkpoints that resume exactly', async () => {
  const a = model();
  await fit(args(mkdtempSync(join(tmpdir(), 'dn-se-a-')), a, config({ saveEvery: null })));
  const dir = mkdtempSync(join(tmpdir(), 'dn-se-b-'));
  mkdirSync(dir, { recursive: true });
  let seen = 0;
  const saving: typeof writeCheckpoint = async (path, meta, state, momentum) => {
    if (path.endsWith('last.safetensors')) seen = meta.training!.step;
    return writeCheckpoint(path, meta, state, momentum);
  };
  await fit(args(dir, model(), config({ saveEvery: 3, maxSteps: 7 }), { saveCheckpoint: saving }));
  assert.equal(seen, 7);
  const mid = await readCheckpoint(join(dir, 'last.safetensors'));
  assert.equal(mid.meta.training!.batchInEpoch, 7);
  const b = model();
  b.loadStateDict(mid.state);
  await fit(args(dir, b, config({ saveEvery: 3 }), { resume: mid }));
  const sb = b.stateDict();
  for (const [name, t] of a.stateDict()) assert.deepEqual(sb.get(name)!.data, t.data, `${name} differs after resuming a --save-every checkpoint`);
});

test('checkOutDir refuses a path through a regular file without creating anything', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-check-'));
  writeFileSync(join(dir, 'f'), 'x');
  assert.throws(() => checkOutDir(join(dir, 'f')), /output folder .*f is not writable \(ENOTDIR: .*f is a file, not a folder\)/);
  assert.throws(() => checkOutDir(join(dir, 'f', 'a', 'b')), /is not writable \(ENOTDIR/);
  checkOutDir(join(dir, 'new', 'deeper'));
  assert.ok(!existsSync(join(dir, 'new')));
});

test('writeSafetensorsFile: a write that cannot happen leaves the previous file byte for byte and no temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-write-'));
  const path = join(dir, 'w.safetensors');
  const m = model();
  await writeCheckpoint(path, { family: 'densenet', arch: null, config: { ...m.modelConfig }, classNames: [], preprocessing: pre, training: null }, m.stateDict(), null);
  const before = readFileSync(path);
  mkdirSync(`${path}.tmp-${process.pid}`); // the temp name is taken by a folder: open fails (EISDIR)
  await assert.rejects(
    writeCheckpoint(path, { family: 'densenet', arch: null, config: {}, classNames: [], preprocessing: pre, training: null }, model().stateDict(), null),
    /w\.safetensors: cannot write \(EISDIR/,
  );
  assert.deepEqual(readFileSync(path), before);
});
