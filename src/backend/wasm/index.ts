/**
 * The wasm backend for Node: finds the module ($DENSENET_WASM, else a local build/densenet.wasm from
 * scripts/build-wasm.mjs, else the copy in dist/ that `npm run build` makes and the published package ships), reads it
 * and hands the bytes to createWasmBackend (create.ts, which a browser calls with fetched bytes instead).
 * Throws an Error naming the reason when the module is missing or does not instantiate.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backend.js';
import { createWasmBackend, type WasmBackend } from './create.js';

export { createWasmBackend, type WasmBackend } from './create.js';

const WASM_FILE = path.join('build', 'densenet.wasm');
/** The module is platform-independent: the copy in dist/ (the browser entry's too) serves every platform. */
const SHIPPED_FILE = path.join('dist', 'densenet.wasm');

/** The locally built or shipped module above this file (src/backend/wasm or dist/backend/wasm), or null. */
function findModule(): string | null {
  const env = process.env.DENSENET_WASM;
  if (env !== undefined && env !== '') return existsSync(env) ? env : null;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const f of [WASM_FILE, SHIPPED_FILE]) if (existsSync(path.join(dir, f))) return path.join(dir, f);
    dir = path.dirname(dir);
  }
  return null;
}

let loading: Promise<WasmBackend> | null = null;

async function load(): Promise<WasmBackend> {
  const file = findModule();
  if (file === null) {
    const where = process.env.DENSENET_WASM ? `$DENSENET_WASM=${process.env.DENSENET_WASM} does not exist` : `no ${WASM_FILE}`;
    throw new Error(`wasm module not built (${where}; run \`node scripts/build-wasm.mjs\`, which needs clang and lld)`);
  }
  try {
    return await createWasmBackend(await readFile(file));
  } catch (e) {
    throw new Error(`wasm module ${file} failed to load: ${(e as Error).message}`);
  }
}

/** Loads the wasm backend once (later calls share the instance and its memory). */
export async function loadWasm(): Promise<Backend> {
  loading ??= load().catch((e: unknown) => {
    loading = null; // a later call may succeed once the module is built
    throw e;
  });
  return loading;
}
