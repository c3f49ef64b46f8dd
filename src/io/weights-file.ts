/**
 * Weights files on disk: reads torch.save (zip or legacy) or safetensors, chosen by content rather than by
 * extension, with keys normalised to torchvision's names; writes safetensors atomically (temp file + rename).
 * Not a model loader (see keys.ts loadStrict). Every error is one line that starts with the file's path.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Tensor } from '../tensor/tensor.js';
import { normalizeStateDict } from './keys.js';
import { isLegacyPth, isZip, readPth } from './pth.js';
import { readSafetensors, writeSafetensors, type WeightsContents, type WriteOptions } from './safetensors.js';

/** "zip: truncated zip archive (...)" -> "truncated zip archive (...)": the path takes the prefix's place. */
function detail(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].replace(/^(zip|pth|safetensors|state_dict): /, '');
}

function looksLikeSafetensors(bytes: Uint8Array): boolean {
  return bytes.length >= 9 && bytes[8] === 0x7b; // the JSON header opens with '{'
}

function parse(bytes: Uint8Array): WeightsContents {
  if (isZip(bytes) || isLegacyPth(bytes)) return { tensors: readPth(bytes), metadata: {} };
  return readSafetensors(bytes);
}

export async function readWeightsFile(path: string): Promise<WeightsContents> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${detail(e)})`);
  }
  if (bytes.length === 0) throw new Error(`${path}: empty file`);
  try {
    const { tensors, metadata } = parse(bytes);
    return { tensors: normalizeStateDict(tensors), metadata };
  } catch (e) {
    if (!isZip(bytes) && !isLegacyPth(bytes) && !looksLikeSafetensors(bytes)) {
      throw new Error(`${path}: not a weights file (neither a torch.save zip or legacy pickle nor safetensors: ${detail(e)})`);
    }
    const kind = isZip(bytes) || isLegacyPth(bytes) ? '' : 'safetensors ';
    throw new Error(`${path}: ${kind}${detail(e)}`);
  }
}

/** BatchNorm's step counter is an integer in PyTorch; keep it one so torch reads the file back unchanged. */
const defaultInt64 = (name: string): boolean => name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked');

/**
 * Writes crash-safely: the bytes go to a temp file in the same folder, which is fsynced, renamed over `path`
 * (atomic on POSIX) and the folder fsynced, so a kill or power loss leaves either the old file or the new one,
 * never a torn one. A failure removes the temp file and leaves any previous `path` untouched.
 */
export async function writeSafetensorsFile(
  path: string, tensors: Map<string, Tensor> | Iterable<[string, Tensor]>, metadata: Record<string, string> = {},
  opts: WriteOptions = { int64: defaultInt64 },
): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = writeSafetensors(tensors, metadata, opts);
  } catch (e) {
    throw new Error(`${path}: ${detail(e)}`);
  }
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
    throw new Error(`${path}: cannot write (${detail(e)})`);
  }
  await syncDir(dirname(path));
}

/** fsync of a folder makes a rename in it durable; platforms that cannot open folders (Windows) skip it. */
async function syncDir(dir: string): Promise<void> {
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
