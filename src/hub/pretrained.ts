/**
 * torchvision's published ImageNet DenseNets: name -> official URL, the SHA-256 prefix torchvision puts in each
 * file name (torch.hub checks `sha256(file).startsWith(prefix)`), and our architecture name. These files use the
 * legacy key names (`norm.1.weight`), which io/keys.ts maps. Resolving a name to a local file (cache, download,
 * hash check) lives in fetchPretrained.
 */

export interface PretrainedEntry {
  /** our variant name (models/variants.ts) */
  arch: string;
  url: string;
  /** hex prefix of the file's SHA-256, from the file name */
  sha256Prefix: string;
}

const BASE = 'https://download.pytorch.org/models/';

/** `name-<hash>.pth` -> the entry; the hash is the file name's, as torch.hub reads it. */
function entry(arch: string, file: string): PretrainedEntry {
  const m = /-([a-f0-9]+)\./.exec(file);
  if (m === null) throw new Error(`pretrained: ${file} has no hash in its name`);
  return { arch, url: BASE + file, sha256Prefix: m[1] };
}

export const PRETRAINED: Readonly<Record<string, PretrainedEntry>> = {
  densenet121: entry('densenet121', 'densenet121-a639ec97.pth'),
  densenet169: entry('densenet169', 'densenet169-b2777c0a.pth'),
  densenet201: entry('densenet201', 'densenet201-c1103571.pth'),
  densenet161: entry('densenet161', 'densenet161-8d451a50.pth'),
};

export function pretrainedNames(): string[] {
  return Object.keys(PRETRAINED);
}

export function pretrainedEntry(name: string): PretrainedEntry {
  const e = Object.hasOwn(PRETRAINED, name) ? PRETRAINED[name] : undefined;
  if (e === undefined) throw new Error(`--pretrained: unknown name '${name}' (known: ${pretrainedNames().join(', ')})`);
  return e;
}

/**
 * The local path of `name`'s weights file, downloading it into the cache first when needed.
 * SCAFFOLD: cache lookup only; the download (progress, hash check, atomic rename, mirror) is being written.
 */
export async function fetchPretrained(name: string): Promise<string> {
  const e = pretrainedEntry(name);
  const { homedir } = await import('node:os');
  const { join } = await import('node:path');
  const { existsSync } = await import('node:fs');
  const dir = process.env.DENSENET_HOME ?? join(homedir(), '.cache', 'densenet');
  const file = join(dir, e.url.slice(e.url.lastIndexOf('/') + 1));
  if (existsSync(file)) return file;
  throw new Error(`--pretrained ${name}: ${file} is not in the cache (download not implemented yet)`);
}
