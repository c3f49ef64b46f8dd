/**
 * torchvision's published ImageNet DenseNets: name -> official URL, the SHA-256 prefix torchvision puts in each
 * file name (torch.hub checks `sha256(file).startsWith(prefix)`), and our architecture name. These files use the
 * legacy key names (`norm.1.weight`), which io/keys.ts maps. Resolving a name to a local file (cache, download,
 * hash check) lives in fetchPretrained.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyFileVerified, downloadFile, type ByteProgress } from './download.js';
import { stderrProgress } from './progress.js';

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

export interface FetchOptions {
  /** the file to fetch (default: the registry's entry for the name) */
  entry?: PretrainedEntry;
  /** the cache folder (default: $DENSENET_HOME, else ~/.cache/densenet) */
  cacheDir?: string;
  /**
   * fetch from here instead of the official URL: an http(s) base URL (the file name is appended) or a local
   * folder holding the file (default: $DENSENET_PRETRAINED_MIRROR)
   */
  mirror?: string;
  /** download progress (default: on stderr); null for none */
  progress?: ByteProgress | null;
  /** a line saying what is being fetched from where (default: stderr) */
  log?: (line: string) => void;
  /** see DownloadOptions.idleTimeoutMs */
  idleTimeoutMs?: number;
}

/** $DENSENET_HOME, else ~/.cache/densenet. */
export function defaultCacheDir(): string {
  const home = process.env.DENSENET_HOME;
  return home !== undefined && home !== '' ? home : join(homedir(), '.cache', 'densenet');
}

/**
 * The local path of `name`'s weights file. A file already in the cache is used as is (as torch.hub does);
 * otherwise it is downloaded from the official URL, or taken from the mirror, checked against the hash in
 * its name and renamed into the cache only when complete and correct (hub/download.ts).
 */
export async function fetchPretrained(name: string, opts: FetchOptions = {}): Promise<string> {
  const e = opts.entry ?? pretrainedEntry(name);
  const fileName = e.url.slice(e.url.lastIndexOf('/') + 1);
  const dir = opts.cacheDir ?? defaultCacheDir();
  const file = join(dir, fileName);
  if (existsSync(file)) return file;

  const mirror = opts.mirror ?? (process.env.DENSENET_PRETRAINED_MIRROR || undefined);
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const progress = opts.progress === null ? undefined : opts.progress ?? stderrProgress(fileName);
  const dl = { sha256Prefix: e.sha256Prefix, ...(progress ? { progress } : {}), ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}) };
  if (mirror === undefined) {
    log(`${name}: downloading ${e.url} to ${dir}`);
    await downloadFile(e.url, file, dl);
  } else if (/^https?:\/\//i.test(mirror)) {
    const url = mirror + (mirror.endsWith('/') ? '' : '/') + fileName;
    log(`${name}: downloading ${url} (mirror) to ${dir}`);
    await downloadFile(url, file, dl);
  } else {
    const folder = mirror.startsWith('file:') ? fileURLToPath(mirror) : mirror;
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new Error(`DENSENET_PRETRAINED_MIRROR=${mirror} is neither an http(s) URL nor an existing folder`);
    }
    const src = join(folder, fileName);
    if (!existsSync(src)) throw new Error(`${name}: ${fileName} is not in the mirror folder ${folder}`);
    log(`${name}: copying ${src} to ${dir}`);
    await copyFileVerified(src, file, dl);
  }
  return file;
}
