/**
 * Crash-safe file writes: the bytes go to a temp file in the same folder, which is fsynced, renamed over the
 * target (atomic on POSIX) and the folder fsynced, so a kill or power loss leaves either the old file or the new
 * one, never a torn one. A failure removes the temp file and leaves any previous file untouched.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes `bytes` to `path` crash-safely; throws `<path>: cannot write (<reason>)`. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new Error(`${path}: cannot write (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
  }
  await syncDir(dirname(path));
}

/** fsync of a folder makes a rename in it durable; platforms that cannot open folders (Windows) skip it. */
export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await fh.sync();
  } catch {
    // some file systems refuse fsync on a folder (EINVAL); the rename itself is still atomic
  } finally {
    await fh.close();
  }
}
