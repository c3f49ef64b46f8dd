/**
 * Weights files on disk: reads torch.save (zip or legacy) or safetensors, chosen by content rather than by
 * extension, with keys normalised to torchvision's names; writes safetensors atomically (temp file + rename).
 * Not a model loader (see keys.ts loadStrict). Every error is one line that starts with the file's path; a bad
 * file's is a FormatError.
 */
import { writeFileAtomic } from './atomic-file.js';
import { readWhole } from './read-whole.js';
import type { Tensor } from '../tensor/tensor.js';
import { FormatError } from './format-error.js';
import { normalizeStateDict } from './keys.js';
import { isLegacyPth, isZip, readPth } from './pth.js';
import { readSafetensors, writeSafetensors, type WeightsContents, type WriteOptions } from './safetensors.js';

/** A system error's message, one line. */
function detail(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

function looksLikeSafetensors(bytes: Uint8Array): boolean {
  return bytes.length >= 9 && bytes[8] === 0x7b; // the JSON header opens with '{'
}

function parse(bytes: Uint8Array): WeightsContents {
  if (isZip(bytes) || isLegacyPth(bytes)) return { tensors: readPth(bytes), metadata: {} };
  return readSafetensors(bytes);
}

/**
 * Reads a weights file. A file that is not a valid weights file throws FormatError naming the path
 * ("<path>: zip: truncated zip archive (...)"); a file that cannot be read throws the OS's error, one line.
 */
export async function readWeightsFile(path: string): Promise<WeightsContents> {
  let bytes: Uint8Array;
  try {
    bytes = await readWhole(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${detail(e)})`);
  }
  if (bytes.length === 0) throw new FormatError('weights', 'empty file', path);
  try {
    const { tensors, metadata } = parse(bytes);
    let normal: Map<string, Tensor>;
    try {
      normal = normalizeStateDict(tensors);
    } catch (e) {
      throw new FormatError('weights', detail(e)); // two names that mean the same parameter
    }
    return { tensors: normal, metadata };
  } catch (e) {
    if (!(e instanceof FormatError)) throw e; // a bug of ours, not a bad file: keep its stack
    if (!isZip(bytes) && !isLegacyPth(bytes) && !looksLikeSafetensors(bytes)) {
      throw new FormatError('weights', `not a weights file (neither a torch.save zip or legacy pickle nor safetensors: ${e.detail})`, path);
    }
    throw e.inFile(path);
  }
}

/** BatchNorm's step counter is an integer in PyTorch; keep it one so torch reads the file back unchanged. */
const defaultInt64 = (name: string): boolean => name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked');

/** Writes safetensors crash-safely (atomic-file.ts: temp file, fsync, rename, folder fsync). */
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
  await writeFileAtomic(path, bytes);
}
