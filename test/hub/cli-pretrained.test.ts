/**
 * `--pretrained NAME` end to end, as a user runs it (a child process, DENSENET_HOME in a temp folder): a mirror
 * serving a file under torchvision's name whose bytes do not have its hash, a dead mirror, an unknown name and
 * --weights with --pretrained each give one error line and exit code 1, and leave the cache empty; a file
 * already in the cache is used as is (torchvision's densenet121 layout from test/fixtures/large, legacy key
 * names), giving PyTorch's logits in infer, and eval reads an image folder with torchvision's preset.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../../src/io/safetensors.js';
import { imagenetClasses } from '../../src/vision/imagenet-classes.js';
import { assertClose } from '../helpers/check.js';
import { deadBase, fixture, serve, type TestServer } from './serve.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LARGE = join(ROOT, 'test/fixtures/large/');
const INPUT = join(ROOT, 'test/fixtures/models/tiny-imagenet.safetensors');
let server: TestServer;

before(async () => {
  server = await serve(fixture().data);
});
after(async () => {
  await server.close();
});

/** The CLI in a child process; asynchronous, so the server in this process keeps answering. */
function densenet(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** exit 1, the last stderr line is `densenet: ...` matching `pattern`, no stack trace. */
function assertFailed(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}; stderr: ${r.stderr}`);
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  assert.match(last, /^densenet: /);
  assert.match(last, pattern);
  assert.ok(!/\n\s+at /.test(r.stderr), `stack trace on stderr: ${r.stderr}`);
}

const home = (): string => mkdtempSync(join(tmpdir(), 'dn-home-'));

test('infer --pretrained densenet121 from a mirror serving bytes without the name\'s hash: one error, exit 1, empty cache', async () => {
  const DENSENET_HOME = home();
  const out = join(DENSENET_HOME, '..', `${Date.now()}-out.safetensors`);
  const r = await densenet(['infer', '--pretrained', 'densenet121', '--input', INPUT, '--output', out],
    { DENSENET_HOME, DENSENET_PRETRAINED_MIRROR: `${server.base}/files` });
  assertFailed(r, new RegExp(`download ${server.base}/files/densenet121-a639ec97\\.pth: SHA-256 [0-9a-f]{64} does not start with a639ec97`));
  assert.match(r.stderr, /densenet121: downloading .* \(mirror\) to /);
  assert.equal(server.hits.get('/files/densenet121-a639ec97.pth'), 1);
  assert.deepEqual(readdirSync(DENSENET_HOME), [], 'nothing left in the cache');
  assert.ok(!existsSync(out));
});

test('eval --pretrained densenet121 with a dead mirror: one error naming the URL, exit 1, empty cache', async () => {
  const DENSENET_HOME = home();
  const dead = await deadBase();
  const r = await densenet(['eval', '--pretrained', 'densenet121', '--data', 'fashion-mnist'], { DENSENET_HOME, DENSENET_PRETRAINED_MIRROR: dead });
  assertFailed(r, new RegExp(`download ${dead}/densenet121-a639ec97\\.pth: connection refused`));
  assert.deepEqual(readdirSync(DENSENET_HOME), []);
});

test('an unknown pretrained name, or --weights with --pretrained: one error, exit 1', async () => {
  const DENSENET_HOME = home();
  const out = join(DENSENET_HOME, 'o.safetensors');
  assertFailed(await densenet(['infer', '--pretrained', 'densenet12', '--input', INPUT, '--output', out], { DENSENET_HOME }),
    /--pretrained: unknown name 'densenet12' \(known: densenet121, densenet169, densenet201, densenet161\)/);
  assertFailed(await densenet(['eval', '--pretrained', 'resnet50', '--data', 'fashion-mnist'], { DENSENET_HOME }), /unknown name 'resnet50'/);
  assertFailed(await densenet(['infer', '--pretrained', 'densenet121', '--weights', INPUT, '--input', INPUT, '--output', out], { DENSENET_HOME }),
    /infer: give either --weights FILE or --pretrained NAME/);
  assertFailed(await densenet(['eval', '--data', 'fashion-mnist'], { DENSENET_HOME }), /eval: give either --weights FILE or --pretrained NAME/);
  assert.deepEqual(readdirSync(DENSENET_HOME), []);
});

const classNamesMissing = ((): string | false => {
  try {
    imagenetClasses();
    return false;
  } catch (e) {
    return `the ImageNet class names are not bundled in this branch (${(e as Error).message})`;
  }
})();
const skipCached = !existsSync(LARGE + 'densenet121-legacy.pth') ? 'test/fixtures/large/ not generated (reference/make_fixtures.py --large)' : classNamesMissing;

test('infer --pretrained densenet121 uses a file already in the cache as is and gives PyTorch\'s logits', { skip: skipCached }, async () => {
  const DENSENET_HOME = home();
  mkdirSync(DENSENET_HOME, { recursive: true });
  // torchvision's published files use the legacy key names, as this one does (random init, same layout)
  symlinkSync(LARGE + 'densenet121-legacy.pth', join(DENSENET_HOME, 'densenet121-a639ec97.pth'));
  const out = join(DENSENET_HOME, 'logits.safetensors');
  const r = await densenet(['infer', '--pretrained', 'densenet121', '--input', LARGE + 'densenet121-io.safetensors', '--output', out],
    { DENSENET_HOME, DENSENET_PRETRAINED_MIRROR: await deadBase() });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /downloading/);
  const expected = readSafetensors(readFileSync(LARGE + 'densenet121-io.safetensors')).tensors.get('logits')!;
  const logits = readSafetensors(readFileSync(out)).tensors.get('logits')!;
  assert.deepEqual(logits.shape, [2, 1000]);
  assertClose(logits.data, expected.data, 'densenet121 logits', 1e-3);

  // eval decodes an image folder with torchvision's preset (short side 256, center crop 224)
  const photos = join(DENSENET_HOME, 'photos');
  for (const [cls, file] of [['cat', 'chelsea.jpg'], ['cup', 'coffee.jpg']]) {
    mkdirSync(join(photos, cls), { recursive: true });
    symlinkSync(join(ROOT, 'test/fixtures/photos', file), join(photos, cls, file));
  }
  const e = await densenet(['eval', '--pretrained', 'densenet121', '--data', photos, '--json'], { DENSENET_HOME });
  assert.equal(e.code, 0, e.stderr);
  assert.equal((JSON.parse(e.stdout) as { n: number }).n, 2);
  assert.match(e.stderr, /^eval: densenet121 from .*densenet121-a639ec97\.pth; images 3x224x224, the model's input size \(resized: short side 256, center crop\)$/m);
});
