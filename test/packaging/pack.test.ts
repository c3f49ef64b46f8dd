/**
 * The published package (issue: "npm install gives native speed with no compiler"): `npm pack` runs prepack
 * (tsc, scripts/prebuild.mjs), the tarball holds only what users need plus the prebuilt binaries, and installed
 * with --ignore-scripts into a fresh folder, with no compiler on PATH, it loads the native and wasm backends from
 * prebuilds/. npm installs the dependencies from its cache where it can (--prefer-offline; `npm ci` filled it).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '..', '..');
const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string =>
  execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });

test('npm pack: the tarball ships dist, bin, csrc, scripts and prebuilt binaries, not tests or sources; installed with --ignore-scripts and no compiler, native and wasm load', { timeout: 900_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'densenet-pack-'));
  try {
    // the lifecycle scripts (prepack: tsc, prebuild) print to the same stdout before npm's JSON
    const out = npm(['pack', '--json', '--pack-destination', dir], root);
    const packed = JSON.parse(out.slice(out.search(/^\[/m))) as { filename: string; files: { path: string }[] }[];
    const files = packed[0].files.map((f) => f.path);
    const tops = new Set(files.map((f) => f.split('/')[0]));
    assert.deepEqual([...tops].sort(), ['README.md', 'bin', 'csrc', 'dist', 'package.json', 'prebuilds', 'scripts']);
    for (const f of ['prebuilds/linux-x64-glibc/densenet_native.node', 'dist/densenet.wasm', 'dist/index.js', 'dist/cli/main.js']) {
      if (process.platform === 'linux' && process.arch === 'x64' || !f.includes('linux')) assert.ok(files.includes(f), `tarball lacks ${f}`);
    }
    assert.ok(!files.some((f) => f.endsWith('.map')), 'no source maps (their sources are not shipped)');
    assert.ok(!readdirSync(root).includes('prebuilds'), 'postpack removes prebuilds/ from the checkout');

    // a fresh project installs the tarball without running any script, on a PATH that holds node alone
    const app = path.join(dir, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    npm(['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', path.join(dir, packed[0].filename)], app);
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, 'node'));
    const env = { ...process.env, PATH: bin, DENSENET_NATIVE_ADDON: '', DENSENET_WASM: '' };
    assert.notEqual(spawnSync('cc', ['--version'], { env }).status, 0);
    const probe = `
      const m = await import('densenet-ts');
      const n = await m.loadBackend('native');
      const w = await m.loadBackend('wasm');
      const model = new m.DenseNet({ blockConfig: [2, 2], growthRate: 4, initFeatures: 8, stem: 'cifar', numClasses: 3 });
      model.eval();
      const x = new m.Tensor(new Float32Array(2 * 3 * 8 * 8).map((_, i) => Math.sin(i)), [2, 3, 8, 8]);
      const a = model.forward(x, n).data, b = model.forward(x, w).data;
      console.log(JSON.stringify({ native: n.name, wasm: w.name, diff: Math.max(...a.map((v, i) => Math.abs(v - b[i]))) }));`;
    const res = execFileSync(path.join(bin, 'node'), ['--input-type=module', '-e', probe], { cwd: app, env, encoding: 'utf8' });
    const r = JSON.parse(res) as { native: string; wasm: string; diff: number };
    assert.equal(r.native, 'native');
    assert.equal(r.wasm, 'wasm');
    assert.ok(r.diff < 1e-4, `native and wasm logits differ by ${r.diff}`);

    // the install script, when it does run, finds the prebuilt binaries and compiles nothing
    const inst = execFileSync(path.join(bin, 'node'), [path.join(app, 'node_modules', 'densenet-ts', 'scripts', 'install.mjs')], { cwd: app, env, encoding: 'utf8' });
    assert.match(inst, /using the prebuilt native addon for linux-x64-glibc/);
    assert.match(inst, /using the prebuilt wasm module/);
    const cli = execFileSync(path.join(bin, 'node'), [path.join(app, 'node_modules', '.bin', 'densenet'), 'list', '--json'], { cwd: app, env, encoding: 'utf8' });
    assert.ok(cli.includes('densenet121'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
