/**
 * A Web Worker of the threaded wasm backend (threads.ts): instantiates the compiled module it is sent on the
 * shared memory, moves its stack pointer to its own region, says 'ready', then runs the C worker loop
 * (dn_worker_main, which returns only when the pool stops). Browser only; Node's workers run the same steps
 * from index.ts (worker_threads). Started as new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }).
 */
import type { WorkerStart } from './threads.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<WorkerStart>) => void) | null;
  postMessage(m: string): void;
}

const scope = globalThis as unknown as WorkerScope;
scope.onmessage = (e: MessageEvent<WorkerStart>): void => {
  scope.onmessage = null;
  const { module, memory, id, stackTop } = e.data;
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  (ex.__stack_pointer as WebAssembly.Global).value = stackTop;
  scope.postMessage('ready');
  (ex.dn_worker_main as (id: number) => void)(id);
  scope.postMessage('stopped');
};
