/**
 * Crash safety of `densenet train` as a real process: SIGKILL at seeded random moments, many times (bounded by
 * a count and about a minute): some at any moment from the start, some during the steps, some the moment a save's
 * temp file appears, on a tiny model and data set that saves every step. After every kill, a last.safetensors
 * that exists must load; the next run resumes from it (its log names the checkpoint's step); a run that reaches the end gives bit-identical weights to an uninterrupted run.
 * Then SIGINT and SIGTERM: each saves, exits 0, and the checkpoint loads and resumes.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../src/tensor/rng.js';
import { readCheckpoint, type Checkpoint } from '../../src/train/checkpoint.js';
import { exited, spawnDensenet, tinyIdxData, TINY } from './crash-helpers.js';

const MAX_KILLS = 60;
const BUDGET_MS = 50_000;
/** one thread: bit-identical results whatever the machine's core count (determinism across threads is separate) */
const ENV = { DENSENET_THREADS: '1' };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sameWeights(a: Checkpoint, b: Checkpoint, what: string): void {
  assert.deepEqual([...a.state.keys()], [...b.state.keys()]);
  for (const [name, t] of a.state) assert.deepEqual(b.state.get(name)!.data, t.data, `${what}: ${name} differs`);
}

test('SIGKILL at random moments never leaves an unloadable checkpoint, and --resume continues exactly', async (t) => {
  const data = tinyIdxData();
  const args = (out: string, saveEvery: boolean): string[] => ['train', '--data', data, ...TINY, '--epochs', '10', '--batch-size', '4',
    '--lr', '0.05', '--seed', '7', '--out', out, ...(saveEvery ? ['--save-every', '1'] : [])];

  // the uninterrupted run the killed-and-resumed ones must match
  const refDir = mkdtempSync(join(tmpdir(), 'dn-kill-ref-'));
  const ref = await exited(spawnDensenet(args(refDir, false), ENV));
  assert.equal(ref.code, 0, ref.stderr);
  const want = await readCheckpoint(join(refDir, 'last.safetensors'));
  const totalSteps = want.meta.training!.step;

  const rng = new Rng(2024);
  const t0 = Date.now();
  const n = { kills: 0, early: 0, steps: 0, save: 0, found: 0, advanced: 0, tornTemps: 0, resumesLogged: 0, rounds: 0, finishedBeforeKill: 0 };
  let out = mkdtempSync(join(tmpdir(), 'dn-kill-'));
  let lastStep = -1;
  let expectResumeAt: number | null = null;
  while (n.kills < MAX_KILLS && Date.now() - t0 < BUDGET_MS) {
    const resume = existsSync(join(out, 'last.safetensors'));
    const child = spawnDensenet([...args(out, true), ...(resume ? ['--resume', join(out, 'last.safetensors')] : [])], ENV);
    const done = exited(child);
    // a fifth of the kills at any moment from the start (loading, resuming), two fifths at a random moment once
    // steps (and saves) run, two fifths the moment a save's temp file appears (inside the write, fsync or rename)
    const u = rng.uniform();
    const mode = u < 0.2 ? 'early' : u < 0.6 ? 'steps' : 'save';
    const delay = mode === 'early' ? Math.floor(1500 * rng.uniform()) : mode === 'steps' ? Math.floor(600 * rng.uniform()) : 0;
    const watcher = mode === 'save' ? watch(out) : null;
    const moment = mode === 'early' ? Promise.resolve() : new Promise<void>((resolve) => {
      if (watcher !== null) {
        watcher.on('change', (_e, f) => {
          if (String(f) === `last.safetensors.tmp-${child.pid}`) resolve(); // not a dead run's temp being removed
        });
        return;
      }
      let seen = '';
      child.stderr!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (/epoch \d+\/10 \d+\/8/.test(seen)) resolve();
      });
    });
    const finished = await Promise.race([done.then(() => true), moment.then(() => sleep(delay)).then(() => false)]);
    if (!finished) {
      child.kill('SIGKILL');
      n.kills++;
      n[mode]++;
    }
    watcher?.close();
    const r = await done;
    const completed = finished || r.signal !== 'SIGKILL'; // a run can end on its own just as the kill is sent
    if (expectResumeAt !== null) {
      const m = /resuming .* step (\d+)/.exec(r.stderr);
      if (m !== null) {
        assert.equal(Number(m[1]), expectResumeAt, 'the resumed run starts at the checkpoint on disk');
        n.resumesLogged++;
      }
    }
    if (completed) {
      // reached the end: the result is the uninterrupted run's, bit for bit; start a new round
      assert.equal(r.code, 0, r.stderr);
      sameWeights(want, await readCheckpoint(join(out, 'last.safetensors')), `round ${n.rounds + 1}`);
      n.finishedBeforeKill++;
      if (!finished) {
        n.kills--;
        n[mode]--;
      }
      n.rounds++;
      out = mkdtempSync(join(tmpdir(), 'dn-kill-'));
      lastStep = -1;
      expectResumeAt = null;
      continue;
    }
    if (readdirSync(out).some((f) => f.startsWith('last.safetensors.tmp-'))) n.tornTemps++;
    if (!existsSync(join(out, 'last.safetensors'))) continue;
    n.found++;
    const ck = await readCheckpoint(join(out, 'last.safetensors')); // throws if torn
    const step = ck.meta.training!.step;
    assert.ok(step >= lastStep && step <= totalSteps, `checkpoint step ${step} after ${lastStep}`);
    if (step > lastStep) n.advanced++;
    assert.equal(ck.momentum.size > 0, step > 0);
    lastStep = step;
    expectResumeAt = step;
  }
  // a final resume to completion
  const resume = existsSync(join(out, 'last.safetensors'));
  const fin = await exited(spawnDensenet([...args(out, true), ...(resume ? ['--resume', join(out, 'last.safetensors')] : [])], ENV));
  assert.equal(fin.code, 0, fin.stderr);
  if (resume) assert.match(fin.stderr, new RegExp(`resuming .* step ${lastStep}\\b`));
  assert.ok(!readdirSync(out).some((f) => f.includes('.tmp-')), 'the resumed run removed the killed runs\' temp files');
  sameWeights(want, await readCheckpoint(join(out, 'last.safetensors')), 'final resume');
  n.rounds++;
  t.diagnostic(`kill test: ${JSON.stringify(n)} in ${((Date.now() - t0) / 1000).toFixed(0)} s (${totalSteps} steps per run)`);
  assert.ok(n.kills >= 5, `only ${n.kills} kills fit in the budget`);
  assert.ok(n.found >= 1, 'no kill found a checkpoint');
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} during training saves last.safetensors, exits 0, and the run resumes from it`, async () => {
    const data = tinyIdxData();
    const out = mkdtempSync(join(tmpdir(), `dn-${signal}-`));
    const args = ['train', '--data', data, ...TINY, '--batch-size', '4', '--out', out];
    const child = spawnDensenet([...args, '--epochs', '200'], ENV);
    let seen = '';
    child.stderr!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (/epoch 2\/200 \d+\/8/.test(seen) && child.signalCode === null && !child.killed) child.kill(signal);
    });
    const r = await exited(child);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, signal === 'SIGINT' ? /interrupted; saving/ : /terminated \(SIGTERM\); saving/);
    assert.match(r.stderr, /continue with --resume/);
    const ck = await readCheckpoint(join(out, 'last.safetensors'));
    const step = ck.meta.training!.step;
    assert.ok(step > 8, `saved at step ${step}`);
    const again = await exited(spawnDensenet([...args, '--epochs', '3', '--resume', join(out, 'last.safetensors')], ENV));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`resuming .* step ${step}\\b`));
  });
}
