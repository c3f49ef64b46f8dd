import type { Backend } from '../backend.js';
export const referenceBackend = {} as Backend; // placeholder: the reference ops land next
