/**
 * Starts a worker_threads worker on a sibling module of the caller, compiled (.js, from dist/) or from source
 * under tsx (tests, `node --import tsx`): Node 20 does not apply --import hooks to a worker's entry module, so
 * there a tiny bootstrap registers tsx first. Used by the DataLoader's pool and infer's image feed.
 */
import { Worker } from 'node:worker_threads';

/** A worker running module `name` (no extension) next to the module whose import.meta.url is `from`. */
export function startWorker(from: string, name: string, workerData: unknown): Worker {
  const fromSource = from.endsWith('.ts');
  const entry = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, from);
  if (!fromSource) return new Worker(entry, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
