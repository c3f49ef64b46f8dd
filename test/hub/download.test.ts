/**
 * hub/download.ts against a local HTTP server: a download lands complete with its hash checked; a wrong hash,
 * a cut-off body, a dead server, HTTP 404, a stalled server and a redirect loop each give one error naming the
 * URL and the problem, and leave nothing in the destination folder; redirects are followed; concurrent
 * downloads of one file do not corrupt it; local copies get the same check.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { copyFileVerified, downloadFile, type ByteProgress } from '../../src/hub/download.js';
import { stderrProgress } from '../../src/hub/progress.js';
import { deadBase, fixture, serve, type TestServer } from './serve.js';

const { data, sha256 } = fixture();
const NAME = `tiny-${sha256.slice(0, 8)}.pth`;
let server: TestServer;

before(async () => {
  server = await serve(data);
});
after(async () => {
  await server.close();
});

const freshDir = (): string => mkdtempSync(join(tmpdir(), 'dn-hub-'));

async function assertFailsClean(url: string, pattern: RegExp, opts: Parameters<typeof downloadFile>[2] = {}): Promise<void> {
  const dir = freshDir();
  const dest = join(dir, NAME);
  await assert.rejects(downloadFile(url, dest, { sha256Prefix: sha256.slice(0, 8), ...opts }), (e: Error) => {
    assert.ok(e.message.startsWith(`download ${url}: `), e.message);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
  assert.deepEqual(readdirSync(dir), [], 'no partial file left behind');
}

test('download: the file lands complete, its SHA-256 prefix checked, progress reported', async () => {
  const dest = join(freshDir(), NAME);
  const seen: number[] = [];
  let doneCalls = 0;
  const progress: ByteProgress = { update: (r, t) => { seen.push(r); assert.equal(t, data.length); }, done: () => { doneCalls++; } };
  await downloadFile(`${server.base}/files/${NAME}`, dest, { sha256Prefix: sha256.slice(0, 8), progress });
  assert.ok(readFileSync(dest).equals(data));
  assert.equal(seen.at(-1), data.length);
  assert.ok(seen.every((v, i) => i === 0 || v > seen[i - 1]), 'progress increases');
  assert.equal(doneCalls, 1);
  assert.deepEqual(readdirSync(join(dest, '..')), [NAME]);
});

test('download: a redirect is followed; a redirect loop is bounded', async () => {
  const dest = join(freshDir(), NAME);
  await downloadFile(`${server.base}/redirect/${NAME}`, dest, { sha256Prefix: sha256.slice(0, 8) });
  assert.ok(readFileSync(dest).equals(data));
  await assertFailsClean(`${server.base}/loop`, /more than 3 redirects/, { maxRedirects: 3 });
});

test('download: wrong hash -> error, no file', async () => {
  await assertFailsClean(`${server.base}/files/densenet121-a639ec97.pth`, new RegExp(`SHA-256 ${sha256} does not start with a639ec97`), { sha256Prefix: 'a639ec97' });
});

test('download: a body cut off before its Content-Length -> error, no file', async () => {
  await assertFailsClean(`${server.base}/cut/${NAME}`, new RegExp(`connection closed after \\d+ of ${data.length} bytes`));
});

test('download: a dead server (port closed) -> error, no file', async () => {
  const base = await deadBase();
  await assertFailsClean(`${base}/files/${NAME}`, /connection refused, nothing listens on that port \(ECONNREFUSED\)/);
});

test('download: HTTP 404 -> error, no file', async () => {
  await assertFailsClean(`${server.base}/nothing/${NAME}`, /HTTP 404 Not Found/);
});

test('download: a server that stops sending -> idle timeout error, no file', async () => {
  await assertFailsClean(`${server.base}/stall/${NAME}`, new RegExp(`no data for 0.3 s after 0 of ${data.length} bytes`), { idleTimeoutMs: 300 });
});

test('download: not an http(s) URL -> error', async () => {
  await assertFailsClean('ftp://127.0.0.1/x.pth', /unsupported protocol ftp:/);
});

test('download: concurrent downloads of one file into one place leave one correct file', async () => {
  const dest = join(freshDir(), NAME);
  const url = `${server.base}/files/${NAME}`;
  await Promise.all([1, 2, 3, 4].map(() => downloadFile(url, dest, { sha256Prefix: sha256.slice(0, 8) })));
  assert.ok(readFileSync(dest).equals(data));
  assert.deepEqual(readdirSync(join(dest, '..')), [NAME]);
});

test('copyFileVerified: copies with the hash check; a wrong hash leaves nothing', async () => {
  const src = join(freshDir(), 'src.pth');
  writeFileSync(src, data);
  const dir = freshDir();
  await copyFileVerified(src, join(dir, NAME), { sha256Prefix: sha256.slice(0, 8) });
  assert.ok(readFileSync(join(dir, NAME)).equals(data));
  const bad = freshDir();
  await assert.rejects(copyFileVerified(src, join(bad, 'x.pth'), { sha256Prefix: 'a639ec97' }), /^Error: copy .*src\.pth: SHA-256 [0-9a-f]{64} does not start with a639ec97/);
  assert.deepEqual(readdirSync(bad), []);
});

test('stderrProgress on a pipe: a few plain lines with MB and MB/s', () => {
  let text = '';
  const out = { write: (s: string) => { text += s; return true; }, isTTY: false } as unknown as NodeJS.WriteStream;
  const p = stderrProgress('f.pth', out);
  for (let r = 0; r <= 100; r++) p.update(r * 100_000, 10_000_000);
  p.done();
  const lines = text.trim().split('\n');
  assert.equal(lines.length, 4, text);
  assert.match(lines[0], /^f\.pth: 2\.5\/10\.0 MB \(25%\), [\d.]+ MB\/s$/);
  assert.match(lines[3], /^f\.pth: 10\.0 MB in [\d.]+ s \([\d.]+ MB\/s\)$/);
});
