// copy-wasm.mjs (part of `npm run build`): copies the wasm modules from build/ into dist/, where the browser entry
// finds them with `new URL('../<name>.wasm', import.meta.url)` from dist/backend/. Bundlers (Vite, webpack 5,
// Parcel) follow that pattern and emit the file next to the bundle, so it must exist whenever dist/ does: in a
// checkout after `npm ci`, and in the published tarball. Missing modules (no clang) are skipped with one line.
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const build = path.join(root, 'build');
const wasm = existsSync(build) ? readdirSync(build).filter((f) => f.endsWith('.wasm')) : [];
for (const f of wasm) copyFileSync(path.join(build, f), path.join(root, 'dist', f));
if (wasm.length === 0) console.warn('densenet: no build/*.wasm to copy into dist/ (the browser entry will need { wasm: url })');
