/** The native backend for a test file, or the reason it is skipped (the addon is not built here). */
import { loadNative, type NativeBackend } from '../../src/backend/native/index.js';

export function nativeOrSkip(): { nb: NativeBackend | null; skip: string | false } {
  try {
    return { nb: loadNative(), skip: false };
  } catch (e) {
    return { nb: null, skip: `native backend unavailable: ${(e as Error).message}` };
  }
}
