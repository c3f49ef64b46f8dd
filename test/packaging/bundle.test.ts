/**
 * The package bundles for a browser: esbuild, resolving `densenet-ts` through package.json `exports` with the
 * `browser` condition, produces a bundle with no Node built-in (`node:` or bare `fs`, `path`, ...). The bundle
 * then runs (in Node, which it does not know it is in: it only uses fetch-free, Node-free APIs when given the
 * wasm bytes) and gives the same logits as the Node entry on the wasm backend.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { DenseNet, loadBackend, Tensor } from '../../src/index.js';

const root = path.resolve(import.meta.dirname, '..', '..');

test('esbuild --platform=browser: densenet-ts resolves to dist/browser.js, the bundle has no Node built-in, and runs with the same logits', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'densenet-bundle-'));
  try {
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(root, path.join(dir, 'node_modules', 'densenet-ts'));
    writeFileSync(path.join(dir, 'app.js'), `
      import { DenseNet, Tensor, getBackend } from 'densenet-ts';
      export async function run(wasmBytes, pixels) {
        const backend = await getBackend('wasm', { wasm: wasmBytes });
        const model = new DenseNet({ blockConfig: [2, 2], growthRate: 4, initFeatures: 8, stem: 'cifar', numClasses: 3 }, 7);
        model.eval();
        return { backend: backend.name, logits: Array.from(model.forward(new Tensor(pixels, [1, 3, 16, 16]), backend).data) };
      }`);
    const result = await build({
      entryPoints: [path.join(dir, 'app.js')], bundle: true, platform: 'browser', format: 'esm', write: true,
      outfile: path.join(dir, 'bundle.js'), logLevel: 'silent', metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.some((f) => f.endsWith('dist/browser.js')), `the browser condition picks dist/browser.js (bundled: ${inputs.slice(0, 5).join(', ')})`);
    const code = readFileSync(path.join(dir, 'bundle.js'), 'utf8');
    assert.doesNotMatch(code, /from\s*["']node:|require\(["']node:|import\(["']node:/);
    for (const m of builtinModules.filter((b) => !b.startsWith('_'))) {
      assert.ok(!new RegExp(`(from|require\\(|import\\()\\s*["']${m}["']`).test(code), `bundle imports the Node built-in '${m}'`);
    }

    const pixels = new Float32Array(3 * 16 * 16).map((_, i) => Math.cos(i / 7));
    const mod = (await import(pathToFileURL(path.join(dir, 'bundle.js')).href)) as {
      run(w: Uint8Array, p: Float32Array): Promise<{ backend: string; logits: number[] }>;
    };
    const got = await mod.run(readFileSync(path.join(root, 'build', 'densenet.wasm')), pixels);
    assert.equal(got.backend, 'wasm');
    const model = new DenseNet({ blockConfig: [2, 2], growthRate: 4, initFeatures: 8, stem: 'cifar', numClasses: 3 }, 7).eval();
    const want = model.forward(new Tensor(pixels, [1, 3, 16, 16]), await loadBackend('wasm')).data;
    assert.deepEqual(got.logits, Array.from(want));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
