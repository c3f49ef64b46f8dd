// run.mjs: running one compiler or linker command for the build scripts (build-native.mjs, build-wasm.mjs):
// stderr is kept and, on failure, its first lines become the error message; --verbose echoes commands and output.
import { spawn } from 'node:child_process';
import path from 'node:path';

export function run(cmd, args, verbose = process.argv.includes('--verbose')) {
  return new Promise((resolve, reject) => {
    if (verbose) console.log([cmd, ...args].join(' '));
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (verbose && err) process.stderr.write(err);
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(cmd)} ${path.basename(args.at(-1) ?? '')}: ${err.trim().split('\n').slice(0, 3).join(' | ')}`));
    });
  });
}
