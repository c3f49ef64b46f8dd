/**
 * A local HTTP server on 127.0.0.1 (ephemeral port) for the download tests, serving one fixture under any file
 * name and misbehaving on request:
 *   /files/NAME       the fixture, with Content-Length
 *   /cut/NAME         announces the fixture's Content-Length, sends half of it and closes the connection
 *   /stall/NAME       announces the Content-Length, sends nothing more
 *   /redirect/NAME    302 to /files/NAME;  /loop: 302 to itself
 *   anything else     404
 * It counts the requests per path, so a test can tell whether the cache was used.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface TestServer {
  base: string;
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** `bytes` deterministic bytes (several network chunks' worth) and their SHA-256 hex digest. */
export function fixture(bytes = 300_000): { data: Buffer; sha256: string } {
  const data = Buffer.alloc(bytes);
  let s = 12345;
  for (let i = 0; i < bytes; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, sha256: createHash('sha256').update(data).digest('hex') };
}

export async function serve(data: Buffer): Promise<TestServer> {
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const head = (res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const [, kind, name] = /^\/([a-z]+)(?:\/(.+))?$/.exec(path) ?? [];
    if (kind === 'files' && name) {
      head(res);
      res.end(data);
    } else if (kind === 'cut' && name) {
      head(res);
      res.write(data.subarray(0, data.length >> 1), () => res.socket?.destroy());
    } else if (kind === 'stall' && name) {
      head(res);
      res.flushHeaders();
    } else if (kind === 'redirect' && name) {
      res.writeHead(302, { location: `/files/${name}` }).end();
    } else if (kind === 'loop') {
      res.writeHead(302, { location: '/loop' }).end();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A URL base on 127.0.0.1 where nothing listens (a port that was just bound and released). */
export async function deadBase(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
