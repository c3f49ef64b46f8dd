/**
 * web/serve.mjs, the demo's loopback server, without a browser: every response carries the headers that make the
 * page cross-origin isolated, files come with the MIME types browsers insist on (application/wasm for the
 * kernels), and paths outside the served folders, unknown files and other methods are refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startWebServer } from '../../web/serve.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');

describe('web/serve.mjs', () => {
  let server: { url: string; port: number; close(): Promise<void> };
  before(async () => {
    server = await startWebServer({ port: 0 });
  });
  after(() => server.close());

  test('binds 127.0.0.1 on the ephemeral port it reports', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(server.port > 0);
  });

  test('/ is the page, with COOP same-origin, COEP require-corp and text/html', async () => {
    const res = await fetch(server.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(res.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await res.text(), /dist\/main\.js/);
  });

  test('/densenet.wasm is build/densenet.wasm as application/wasm', async () => {
    const res = await fetch(new URL('densenet.wasm', server.url));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/wasm');
    assert.equal(res.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array(readFileSync(path.join(root, 'build', 'densenet.wasm'))));
  });

  test('the checkpoint and the onnxruntime-web module are served with their types', async () => {
    const ckpt = await fetch(new URL('models/fashion-mnist-densenet-bc.safetensors', server.url));
    assert.equal(ckpt.status, 200);
    assert.equal(ckpt.headers.get('content-type'), 'application/octet-stream');
    await ckpt.arrayBuffer();
    const ort = await fetch(new URL('ort/ort.wasm.min.mjs', server.url), { method: 'HEAD' });
    assert.equal(ort.status, 200);
    assert.match(ort.headers.get('content-type') ?? '', /^text\/javascript/);
  });

  test('paths escaping the served folders, missing files and POST are refused', async () => {
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/ort/..%2f..%2fpackage.json', '/models/..%2f..%2fpackage.json', '/nope.html', '/%E0%A4%A']) {
      const res = await fetch(server.url.slice(0, -1) + p);
      assert.equal(res.status, 404, p);
      assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
      await res.text();
    }
    const post = await fetch(server.url, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    await post.text();
  });
});
