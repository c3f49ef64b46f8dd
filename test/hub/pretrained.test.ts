/**
 * hub/pretrained.ts fetchPretrained with an injected registry entry and cache folder, against a local HTTP
 * server: a download lands in the cache and the second call uses the cache without asking the server; a mirror
 * (http base URL, or a local folder) replaces the official URL, from options or DENSENET_PRETRAINED_MIRROR and
 * DENSENET_HOME; every failure (wrong hash, cut-off body, dead server, 404, bad mirror) leaves the cache empty.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultCacheDir, fetchPretrained, pretrainedEntry, PRETRAINED, type PretrainedEntry } from '../../src/hub/pretrained.js';
import { deadBase, fixture, serve, type TestServer } from './serve.js';

const { data, sha256 } = fixture();
const NAME = `tiny-${sha256.slice(0, 8)}.pth`;
const OFFICIAL: PretrainedEntry = { arch: 'densenet121', url: `https://download.pytorch.org/models/${NAME}`, sha256Prefix: sha256.slice(0, 8) };
let server: TestServer;

before(async () => {
  server = await serve(data);
});
after(async () => {
  await server.close();
});

const freshDir = (): string => mkdtempSync(join(tmpdir(), 'dn-pretrained-'));
const quiet = { progress: null, log: (): void => undefined };

test('fetchPretrained: downloads into the cache once; the second call does not ask the server', async () => {
  const cacheDir = join(freshDir(), 'cache');
  const entry = { ...OFFICIAL, url: `${server.base}/files/${NAME}` };
  const lines: string[] = [];
  const file = await fetchPretrained('tiny', { entry, cacheDir, progress: null, log: (l) => lines.push(l) });
  assert.equal(file, join(cacheDir, NAME));
  assert.ok(readFileSync(file).equals(data));
  assert.match(lines.join('\n'), new RegExp(`tiny: downloading ${server.base}/files/${NAME} to ${cacheDir}`));
  assert.equal(server.hits.get(`/files/${NAME}`), 1);
  assert.equal(await fetchPretrained('tiny', { entry, cacheDir, ...quiet }), file);
  assert.equal(server.hits.get(`/files/${NAME}`), 1, 'served from the cache');
});

test('fetchPretrained: an http mirror replaces the official URL (the file name is appended)', async () => {
  for (const mirror of [`${server.base}/redirect`, `${server.base}/redirect/`]) {
    const cacheDir = freshDir();
    const file = await fetchPretrained('tiny', { entry: OFFICIAL, cacheDir, mirror, ...quiet });
    assert.ok(readFileSync(file).equals(data));
  }
});

test('fetchPretrained: a local mirror folder is copied in with the same hash check', async () => {
  const mirror = freshDir();
  writeFileSync(join(mirror, NAME), data);
  const cacheDir = freshDir();
  const file = await fetchPretrained('tiny', { entry: OFFICIAL, cacheDir, mirror, ...quiet });
  assert.ok(readFileSync(file).equals(data));
  // the same bytes under a name whose hash they do not have
  writeFileSync(join(mirror, 'densenet121-a639ec97.pth'), data);
  const empty = freshDir();
  await assert.rejects(fetchPretrained('densenet121', { cacheDir: empty, mirror, ...quiet }), /^Error: copy .*densenet121-a639ec97\.pth: SHA-256 [0-9a-f]{64} does not start with a639ec97/);
  assert.deepEqual(readdirSync(empty), []);
  await assert.rejects(fetchPretrained('densenet169', { cacheDir: empty, mirror, ...quiet }), /densenet169-b2777c0a\.pth is not in the mirror folder/);
  await assert.rejects(fetchPretrained('densenet121', { cacheDir: empty, mirror: join(mirror, 'nope'), ...quiet }), /DENSENET_PRETRAINED_MIRROR=.*nope is neither an http\(s\) URL nor an existing folder/);
});

test('fetchPretrained: every failure leaves the cache empty and names the URL', async () => {
  const dead = await deadBase();
  const cases: [PretrainedEntry | undefined, string | undefined, RegExp][] = [
    [undefined, `${server.base}/files`, new RegExp(`download ${server.base}/files/densenet121-a639ec97\\.pth: SHA-256 ${sha256} does not start with a639ec97`)],
    [OFFICIAL, `${server.base}/cut`, new RegExp(`download ${server.base}/cut/${NAME}: connection closed after \\d+ of ${data.length} bytes`)],
    [OFFICIAL, dead, new RegExp(`download ${dead}/${NAME}: connection refused`)],
    [OFFICIAL, `${server.base}/nothing`, new RegExp(`download ${server.base}/nothing/${NAME}: HTTP 404`)],
  ];
  for (const [entry, mirror, pattern] of cases) {
    const cacheDir = freshDir();
    await assert.rejects(fetchPretrained('densenet121', { ...(entry ? { entry } : {}), cacheDir, mirror, ...quiet }), pattern);
    assert.deepEqual(readdirSync(cacheDir), [], `${mirror}: the cache holds nothing`);
  }
});

test('fetchPretrained: DENSENET_HOME and DENSENET_PRETRAINED_MIRROR are read when no option is given', async () => {
  const saved = { home: process.env.DENSENET_HOME, mirror: process.env.DENSENET_PRETRAINED_MIRROR };
  const home = join(freshDir(), 'home');
  try {
    process.env.DENSENET_HOME = home;
    process.env.DENSENET_PRETRAINED_MIRROR = `${server.base}/files`;
    assert.equal(defaultCacheDir(), home);
    const file = await fetchPretrained('tiny', { entry: OFFICIAL, ...quiet });
    assert.equal(file, join(home, NAME));
    process.env.DENSENET_HOME = '';
    assert.equal(defaultCacheDir(), join(homedir(), '.cache', 'densenet'));
  } finally {
    for (const [k, v] of [['DENSENET_HOME', saved.home], ['DENSENET_PRETRAINED_MIRROR', saved.mirror]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('fetchPretrained: a file already in the cache is used as is (no hash check, no network)', async () => {
  const cacheDir = freshDir();
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, 'densenet121-a639ec97.pth'), 'anything');
  assert.equal(await fetchPretrained('densenet121', { cacheDir, mirror: await deadBase(), ...quiet }), join(cacheDir, 'densenet121-a639ec97.pth'));
});

test('the registry: torchvision\'s four files; an unknown name is one error listing the known ones', () => {
  assert.deepEqual(Object.keys(PRETRAINED), ['densenet121', 'densenet169', 'densenet201', 'densenet161']);
  assert.equal(pretrainedEntry('densenet161').url, 'https://download.pytorch.org/models/densenet161-8d451a50.pth');
  assert.equal(pretrainedEntry('densenet161').sha256Prefix, '8d451a50');
  assert.throws(() => pretrainedEntry('densenet12'), /--pretrained: unknown name 'densenet12' \(known: densenet121, densenet169, densenet201, densenet161\)/);
});
