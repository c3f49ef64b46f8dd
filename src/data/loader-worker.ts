/**
 * Entry point of a DataLoader worker thread: receives the BatchPlan once (pixels in shared memory), then
 * answers each BatchRequest with a float32 batch, transferred (not copied) back. Errors are answered as
 * messages so the waiting promise rejects with them. Not for direct use: started by worker-pool.ts.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { fillBatch, type BatchPlan, type BatchReply, type BatchRequest } from './batch.js';

const plan = workerData as BatchPlan;
const count = plan.pixels.length / (plan.shape.channels * plan.shape.height * plan.shape.width);
const port = parentPort;
if (port === null) throw new Error('loader-worker: must run in a worker thread');

port.on('message', (req: BatchRequest) => {
  let reply: BatchReply;
  try {
    for (const k of req.indices) {
      if (!(k >= 0 && k < count)) throw new Error(`sample index ${k} out of range [0, ${count})`);
    }
    reply = { id: req.id, x: fillBatch(plan, req.indices, req.augSeed) };
  } catch (e) {
    reply = { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  if ('x' in reply) port.postMessage(reply, [reply.x.buffer as ArrayBuffer]);
  else port.postMessage(reply);
});
