// install.mjs (the package's install script): a prebuilt addon for this platform that loads, and the prebuilt
// wasm module (dist/densenet.wasm), mean there is nothing to build; otherwise the addon and the wasm module are built from csrc/ with
// the system compilers (build-native.mjs, build-wasm.mjs), which print one warning and exit 0 when they cannot.
// With `npm install --ignore-scripts` nothing runs and the prebuilt binaries are used as they are.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { platformTag } from './platform.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tag = platformTag();
const addon = path.join(root, 'prebuilds', tag, 'densenet_native.node');

function loads(file) {
  try {
    createRequire(import.meta.url)(file);
    return true;
  } catch (e) {
    console.warn(`densenet: prebuilt addon ${path.relative(root, file)} does not load here (${e.message.split('\n')[0]}); building from source`);
    return false;
  }
}

function build(script) {
  spawnSync(process.execPath, [path.join(root, 'scripts', script)], { stdio: 'inherit' });
}

if (existsSync(addon) && loads(addon)) console.log(`densenet: using the prebuilt native addon for ${tag}`);
else build('build-native.mjs');
// the published package ships no src/: there dist/densenet.wasm is the prebuilt module; in a checkout it is a copy of
// an earlier build that may be older than csrc/, so the module is always rebuilt there
if (!existsSync(path.join(root, 'src')) && existsSync(path.join(root, 'dist', 'densenet.wasm'))) console.log('densenet: using the prebuilt wasm module');
else build('build-wasm.mjs');
