/**
 * Downloads a URL (or copies a local file) into a destination file the way torch.hub's download_url_to_file
 * does, with its hash rule (the file's SHA-256 hex digest must start with the prefix in the file name), made
 * safe to interrupt: the bytes go to a temp file in the destination's folder (a name per process and call),
 * are hashed while they stream, fsync'ed, and only then renamed over the destination (atomic on one file
 * system), so the destination is either absent or complete and checked. On any failure (HTTP error status,
 * refused or dead server, a body shorter than its Content-Length, no data within the idle timeout, too many
 * redirects, a wrong hash) the temp file is removed and one error names the URL and the problem.
 * Not a general HTTP client: GET only, redirects followed up to a bound, no proxies, no resume.
 */
import { syncDir } from '../io/atomic-file.js';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { basename, dirname, join } from 'node:path';

/** Receives the byte count as the data arrives; `done` is called once at the end, success or not. */
export interface ByteProgress {
  update(received: number, total: number | null): void;
  done(): void;
}

export interface DownloadOptions {
  /** the SHA-256 hex digest must start with this (torch.hub's rule); no check when absent */
  sha256Prefix?: string;
  progress?: ByteProgress;
  /** give up when no data arrives for this long, connecting included (default 30 s) */
  idleTimeoutMs?: number;
  /** redirects followed before giving up (default 5) */
  maxRedirects?: number;
}

const USER_AGENT = 'densenet-ts (hub/download.ts)';

/** A failure with its reason; the exported functions prefix the source. */
class Problem extends Error {}

/** Downloads `url` (http or https) into `dest`; see the header for the guarantees. */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<void> {
  const idleMs = opts.idleTimeoutMs ?? 30_000;
  try {
    await writeAtomically(dest, opts, async (sink) => {
      const { res, req, timedOut } = await getFollowingRedirects(url, idleMs, opts.maxRedirects ?? 5);
      const total = contentLength(res);
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) await sink(chunk, total);
      } catch (e) {
        throw bodyProblem(e, sink.received(), total, timedOut(), idleMs);
      } finally {
        req.destroy();
      }
      if (timedOut()) throw bodyProblem(null, sink.received(), total, true, idleMs);
      if (total !== null && sink.received() !== total) {
        throw new Problem(`connection closed after ${sink.received()} of ${total} bytes`);
      }
    });
  } catch (e) {
    throw new Error(`download ${url}: ${(e as Error).message}`);
  }
}

/** Copies the local file `src` into `dest` with the same hash check and atomic rename as a download. */
export async function copyFileVerified(src: string, dest: string, opts: DownloadOptions = {}): Promise<void> {
  try {
    const total = (await stat(src)).size;
    await writeAtomically(dest, opts, async (sink) => {
      for await (const chunk of createReadStream(src) as AsyncIterable<Buffer>) await sink(chunk, total);
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`copy ${src}: ${err instanceof Problem ? err.message : err.code ?? err.message}`);
  }
}

interface Sink {
  (chunk: Buffer, total: number | null): Promise<void>;
  received(): number;
}

/**
 * Runs `fill`, which feeds the bytes to the sink, into a fresh temp file next to `dest`; checks the hash,
 * fsyncs and renames into place. Any throw removes the temp file.
 */
async function writeAtomically(dest: string, opts: DownloadOptions, fill: (sink: Sink) => Promise<void>): Promise<void> {
  const dir = dirname(dest);
  await mkdir(dir, { recursive: true });
  // per process and per call, so concurrent downloads of one file never share a temp file
  const tmp = join(dir, `.${basename(dest)}.${process.pid}-${randomBytes(4).toString('hex')}.part`);
  const hash = createHash('sha256');
  let fh: FileHandle | null = null;
  let received = 0;
  try {
    fh = await open(tmp, 'wx');
    const file = fh;
    const sink: Sink = Object.assign(
      async (chunk: Buffer, total: number | null): Promise<void> => {
        hash.update(chunk);
        await file.write(chunk);
        received += chunk.length;
        opts.progress?.update(received, total);
      },
      { received: () => received },
    );
    await fill(sink);
    const digest = hash.digest('hex');
    if (opts.sha256Prefix !== undefined && !digest.startsWith(opts.sha256Prefix)) {
      throw new Problem(`SHA-256 ${digest} does not start with ${opts.sha256Prefix} (the hash in the file name): corrupt or not the published file`);
    }
    await fh.sync();
    await fh.close();
    fh = null;
    await rename(tmp, dest);
    await syncDir(dir);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    opts.progress?.done();
  }
}

interface Response {
  req: ClientRequest;
  res: IncomingMessage;
  timedOut: () => boolean;
}

async function getFollowingRedirects(url: string, idleMs: number, maxRedirects: number): Promise<Response> {
  let current = parseUrl(url);
  for (let hop = 0; ; hop++) {
    const r = await get(current, idleMs);
    const status = r.res.statusCode ?? 0;
    if (status >= 300 && status < 400 && status !== 304) {
      const location = r.res.headers.location;
      r.res.resume();
      r.req.destroy();
      if (location === undefined) throw new Problem(`HTTP ${status} redirect without a Location header`);
      if (hop >= maxRedirects) throw new Problem(`more than ${maxRedirects} redirects (last to ${location})`);
      current = parseUrl(new URL(location, current).href);
      continue;
    }
    if (status !== 200) {
      r.res.resume();
      r.req.destroy();
      const where = current.href !== url ? ` (redirected to ${current.href})` : '';
      throw new Problem(`HTTP ${status} ${r.res.statusMessage ?? ''}`.trimEnd() + where);
    }
    return r;
  }
}

function parseUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Problem('not a valid URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Problem(`unsupported protocol ${u.protocol} (http or https)`);
  return u;
}

/** One GET; resolves with the response head, rejects on a connection failure or the idle timeout. */
function get(url: URL, idleMs: number): Promise<Response> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const client = url.protocol === 'https:' ? https : http;
    // `timeout` arms the socket's idle timer before it connects, so it covers a silent host as well as a server
    // that stops sending mid-body
    const req = client.get(url, { headers: { 'user-agent': USER_AGENT }, timeout: idleMs }, (res) => resolve({ req, res, timedOut: () => timedOut }));
    req.on('timeout', () => {
      timedOut = true;
      req.destroy(new Problem(`no data for ${idleMs / 1000} s`));
    });
    // after the head arrived, body errors surface through the response stream; this keeps them from being unhandled
    req.on('error', (e) => reject(connectProblem(e)));
  });
}

function connectProblem(e: Error): Error {
  if (e instanceof Problem) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const what: Record<string, string> = {
    ECONNREFUSED: 'connection refused, nothing listens on that port',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed (no network?)',
    ECONNRESET: 'connection reset by the server',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
  };
  return new Problem(code !== undefined && what[code] !== undefined ? `${what[code]} (${code})` : e.message);
}

function bodyProblem(e: unknown, received: number, total: number | null, timedOut: boolean, idleMs: number): Error {
  if (e instanceof Problem && !timedOut) return e;
  if (timedOut) return new Problem(`no data for ${idleMs / 1000} s after ${received}${total !== null ? ` of ${total}` : ''} bytes`);
  if (total !== null) return new Problem(`connection closed after ${received} of ${total} bytes`);
  return new Problem(`connection lost after ${received} bytes (${(e as Error).message})`);
}

function contentLength(res: IncomingMessage): number | null {
  const v = res.headers['content-length'];
  const n = v !== undefined ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}
