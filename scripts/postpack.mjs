// postpack.mjs: removes prebuilds/ after `npm pack`/`npm publish` (prebuild.mjs made it for the tarball only), so
// that in a checkout the loader finds the fresh local build rather than a binary of older sources.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

rmSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'prebuilds'), { recursive: true, force: true });
