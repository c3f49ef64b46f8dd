import type { Backend } from '../backend.js';
export async function loadWasm(): Promise<Backend> {
  throw new Error('wasm backend not built yet');
}
