import type { Backend } from '../backend.js';
export function loadNative(): Backend {
  throw new Error('native backend not built yet');
}
