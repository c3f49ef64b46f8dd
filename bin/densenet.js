#!/usr/bin/env node
// The `densenet` command: runs the compiled CLI (npm install / npm ci builds dist/).
import('../dist/cli/main.js').catch((e) => {
  process.stderr.write(`densenet: cannot start (${e.message}); run 'npm install' to build dist/\n`);
  process.exit(1);
});
