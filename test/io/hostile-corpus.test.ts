/**
 * Every file of the hostile corpus (test/fixtures/hostile, written by reference/make_hostile_corpus.py, one line
 * per file in index.json) is refused with a FormatError naming the file: never success, never another exception
 * type, never a crash or a hang (each test has a timeout). Images go through image-folder, which skips what it
 * cannot decode and says so. Peak memory stays bounded (the process's max RSS, read once at the end).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkCifarBatch, type CifarLayout } from '../../src/data/cifar.js';
import { parseIdx } from '../../src/data/idx.js';
import { loadImageFolder } from '../../src/data/image-folder.js';
import { FormatError } from '../../src/io/format-error.js';
import { readWeightsFile } from '../../src/io/weights-file.js';
import { parseConfig } from '../../src/models/config.js';

const DIR = fileURLToPath(new URL('../fixtures/hostile/', import.meta.url));
interface Item { format: 'weights' | 'idx' | 'cifar10' | 'cifar100' | 'config' | 'image'; note: string; expect?: string }
const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as { files: Record<string, Item> };
const files = Object.entries(index.files);
const rssBefore = process.resourceUsage().maxRSS;

const CIFAR: Record<'cifar10' | 'cifar100', CifarLayout> = {
  cifar10: { kind: 'cifar10', header: 1, labelAt: 0, numClasses: 10 },
  cifar100: { kind: 'cifar100', header: 2, labelAt: 1, numClasses: 100 },
};

/** Loads one corpus file with the reader of its format; resolves to whatever the reader returns. */
async function load(path: string, item: Item): Promise<unknown> {
  switch (item.format) {
    case 'weights': return readWeightsFile(path);
    case 'idx': return parseIdx(readFileSync(path), path);
    case 'cifar10': case 'cifar100': return checkCifarBatch(readFileSync(path), path, CIFAR[item.format]);
    case 'config': return parseConfig(readFileSync(path, 'utf8'), path);
    default: throw new Error(`no reader for format ${item.format}`);
  }
}

const counts = new Map<string, number>();
for (const [name, item] of files) {
  if (item.format === 'image') continue;
  const family = name.split('-')[0];
  counts.set(family, (counts.get(family) ?? 0) + 1);
  test(`hostile ${name}: ${item.note} -> FormatError`, { timeout: 20_000 }, async () => {
    const path = join(DIR, name);
    let error: unknown = null;
    try {
      await load(path, item);
    } catch (e) {
      error = e;
    }
    assert.ok(error !== null, `${name} was accepted`);
    assert.ok(error instanceof FormatError, `${name} threw ${String(error)} (${(error as Error)?.stack?.split('\n')[1]?.trim()}), not a FormatError`);
    assert.equal(error.file, path);
    assert.ok(!error.message.includes('\n'), error.message);
    if (item.expect) assert.ok(error.message.includes(item.expect), `${name}: '${error.message}' does not mention '${item.expect}'`);
  });
}

test('hostile images: image-folder skips every one and loads the good image', { timeout: 60_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hostile-images-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const images = files.filter(([, i]) => i.format === 'image').map(([n]) => n);
  assert.ok(images.length >= 8);
  mkdirSync(join(tmp, 'a'));
  for (const n of images) copyFileSync(join(DIR, n), join(tmp, 'a', n));
  copyFileSync(fileURLToPath(new URL('../fixtures/photos/astronaut.png', import.meta.url)), join(tmp, 'a', 'zz-good.png'));
  const warnings: string[] = [];
  const ds = await loadImageFolder(tmp, { height: 8, width: 8, warn: (l) => warnings.push(l), concurrency: 2 });
  assert.equal(ds.size, 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], new RegExp(`^image-folder: skipped ${images.length} unreadable images \\(first: `));
});

test('hostile corpus: every family is present, and peak memory stayed bounded', () => {
  for (const family of ['pickle', 'tensor', 'legacy', 'zip', 'zip64', 'st', 'trunc', 'idx', 'cifar10', 'cifar100', 'config']) {
    assert.ok((counts.get(family) ?? 0) > 0, `no ${family} files`);
  }
  const grewMiB = (process.resourceUsage().maxRSS - rssBefore) / 1024;
  assert.ok(grewMiB < 512, `peak RSS grew by ${grewMiB.toFixed(0)} MiB while reading the corpus`);
});
