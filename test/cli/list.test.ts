/**
 * `densenet list` prints the copy of the counts kept in src/cli/list-stats.ts (so it starts instantly): the copy
 * must match a fresh computation from the models for every named variant, the command's table and JSON must be
 * exactly what the fresh rows render to, and a variant missing from the copy is computed. `--version`/`-V`
 * print package.json's version.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LIST_STATS } from '../../src/cli/list-stats.js';
import { formatList, listVariants } from '../../src/cli/list.js';
import { VARIANTS } from '../../src/models/variants.js';
import { RESNET_VARIANTS } from '../../src/models/variants-resnet.js';
import { densenet } from '../helpers/cli.js';

const REGENERATE = 'regenerate it with: node --import tsx scripts/list-stats.ts';

test('list-stats.ts holds every named variant, with the counts a fresh computation gives', async () => {
  const fresh = await listVariants({ fresh: true });
  assert.deepEqual(Object.keys(LIST_STATS), fresh.map((r) => r.name), `list-stats.ts names other variants; ${REGENERATE}`);
  for (const r of fresh) {
    const kept = LIST_STATS[r.name];
    const config = Object.hasOwn(VARIANTS, r.name) ? VARIANTS[r.name].config : RESNET_VARIANTS[r.name].config;
    assert.equal(kept.key, JSON.stringify(config), `${r.name}: list-stats.ts has another config, so list computes it (slow); ${REGENERATE}`);
    assert.deepEqual({ params: kept.params, macs: kept.macs, input: kept.input }, { params: r.params, macs: r.macs, input: r.input }, `${r.name}: list-stats.ts is stale; ${REGENERATE}`);
  }
  assert.deepEqual(await listVariants(), fresh);
});

test('densenet list and list --json print exactly the fresh rows', async () => {
  const fresh = await listVariants({ fresh: true });
  for (const json of [false, true]) {
    const r = densenet(json ? ['list', '--json'] : ['list']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, formatList(fresh, json));
  }
  assert.match(formatList(fresh), /^densenet121\s+7,978,856\s+2\.834 G\s+3x224x224\s+ImageNet DenseNet-BC-121, k=32$/m);
});

test('a variant missing from the copy (or with another config) is computed', async () => {
  VARIANTS['tmp-list-test'] = { config: { ...VARIANTS['densenet-bc-100'].config, growthRate: 8 }, description: 'temporary' };
  try {
    const rows = await listVariants();
    const row = rows.find((r) => r.name === 'tmp-list-test');
    assert.ok(row !== undefined);
    assert.ok(row.params > 0 && row.params < LIST_STATS['densenet-bc-100'].params, String(row.params));
    assert.equal(row.input, '3x32x32');
  } finally {
    delete VARIANTS['tmp-list-test'];
  }
});

test('--version and -V print the version in package.json', () => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = densenet([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${version}\n`);
  }
});
