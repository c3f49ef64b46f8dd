import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { fromArrays, subset } from '../../src/data/dataset.js';
import { DataLoader, type Batch } from '../../src/data/loader.js';
import { BatchWorkers } from '../../src/data/worker-pool.js';

// 50 samples of 1x4x4; sample i's pixels are (i*5 + p) % 256 so batches are checkable.
const N = 50;
const ds = fromArrays(Uint8Array.from({ length: N * 16 }, (_, k) => (Math.floor(k / 16) * 5 + (k % 16)) % 256),
  Array.from({ length: N }, (_, i) => i % 7), [1, 4, 4], ['a', 'b', 'c', 'd', 'e', 'f', 'g']);

async function collect(loader: DataLoader, epoch: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader.epoch(epoch)) out.push(b);
  return out;
}

test('loader B=8 N=50: every sample once per epoch, labels match, last batch partial', async () => {
  const loader = new DataLoader(ds, { batchSize: 8, seed: 1, workers: 0 });
  const batches = await collect(loader, 0);
  assert.equal(batches.length, 7);
  assert.deepEqual(batches.map((b) => b.size), [8, 8, 8, 8, 8, 8, 2]);
  const seen = batches.flatMap((b) => [...b.indices]).sort((a, b) => a - b);
  assert.deepEqual(seen, Array.from({ length: N }, (_, i) => i));
  for (const b of batches) {
    assert.equal(b.x.length, b.size * 16);
    b.indices.forEach((i, j) => {
      assert.equal(b.labels[j], i % 7);
      assert.ok(Math.abs(b.x[j * 16 + 3] - ((i * 5 + 3) % 256) / 255) < 1e-6); // no augmentation: x/255
    });
  }
  const dropped = new DataLoader(ds, { batchSize: 8, dropLast: true, shuffle: false, workers: 0 });
  const d = await collect(dropped, 0);
  assert.equal(d.length, 6);
  assert.deepEqual([...d[1].indices], [8, 9, 10, 11, 12, 13, 14, 15]);
});

test('loader determinism: same seed same batches (workers or not), epochs differ, resume reproduces', async () => {
  const opts = { batchSize: 8, seed: 42, augment: { pad: 1, flip: true }, mean: [0.5], std: [0.25] };
  const a = new DataLoader(ds, { ...opts, workers: 2 });
  const b = new DataLoader(ds, { ...opts, workers: 0 });
  try {
    const [a0, b0, a1] = [await collect(a, 0), await collect(b, 0), await collect(a, 1)];
    assert.deepEqual(a0.map((x) => [...x.x]), b0.map((x) => [...x.x]));
    assert.deepEqual(a0.map((x) => [...x.labels]), b0.map((x) => [...x.labels]));
    assert.notDeepEqual([...a0[0].indices], [...a1[0].indices]);
    assert.deepEqual([...b.batch(1, 3).x], [...a1[3].x]); // random access to epoch 1, batch 3
    const other = new DataLoader(ds, { ...opts, seed: 43, workers: 0 });
    assert.notDeepEqual([...other.order(0)], [...a.order(0)]);
  } finally {
    await a.close();
  }
});

test('loader over a subset reads the parent storage through the index map', async () => {
  const sub = subset(ds, [49, 3, 17]);
  const loader = new DataLoader(sub, { batchSize: 2, shuffle: false, workers: 1 });
  const batches = await collect(loader, 0);
  await loader.close();
  assert.deepEqual(batches.map((b) => [...b.indices]), [[0, 1], [2]]);
  assert.ok(Math.abs(batches[0].x[0] - (49 * 5 % 256) / 255) < 1e-6);
  assert.deepEqual([...batches[1].labels], [17 % 7]);
});

test('loader: early break and close leave no running workers; worker errors reject with the message', async () => {
  const loader = new DataLoader(ds, { batchSize: 4, workers: 2, prefetch: 3 });
  for await (const b of loader.epoch(0)) {
    assert.equal(b.size, 4);
    break;
  }
  await loader.close();
  await loader.close();
  const plan = { pixels: ds.pixels, shape: { channels: 1, height: 4, width: 4 }, pad: 0, flip: false, lut: new Float32Array(256) };
  const pool = new BatchWorkers(1, plan);
  await assert.rejects(pool.run(Int32Array.of(1, 9999), null), { message: 'data loader worker: sample index 9999 out of range [0, 50)' });
  assert.equal((await pool.run(Int32Array.of(2), null)).length, 16); // the worker survives a bad request
  await pool.close();
  await assert.rejects(pool.run(Int32Array.of(0), null), /workers already closed/);
  assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /batchSize must be a positive integer/);
});

test('loader: a process that never calls close() still exits (idle workers are unref\'d)', () => {
  const src = (f: string): string => JSON.stringify(fileURLToPath(new URL(`../../src/data/${f}`, import.meta.url)));
  const script = `import { fromArrays } from ${src('dataset.ts')}; import { DataLoader } from ${src('loader.ts')};
    const ds = fromArrays(new Uint8Array(40 * 16), new Array(40).fill(0), [1, 4, 4], ['a']);
    const l = new DataLoader(ds, { batchSize: 4, workers: 2 });
    let n = 0; for await (const b of l.epoch(0)) { n++; if (n === 3) break; }
    console.log('batches', n);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.signal, null, 'the child process hung and was killed');
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.trim(), 'batches 3');
  assert.equal(r.status, 0);
});
