// Rewrites src/cli/list-stats.ts, the copy of the named variants' parameter counts and MACs that `densenet list`
// prints (see src/cli/list.ts). Run after adding or changing a variant: node --import tsx scripts/list-stats.ts
import { writeFileSync } from 'node:fs';
import { listStatsSource } from '../src/cli/list.js';

const path = new URL('../src/cli/list-stats.ts', import.meta.url);
writeFileSync(path, await listStatsSource());
process.stdout.write(`wrote ${path.pathname}\n`);
