/**
 * A whole file's bytes in as few read requests as the OS allows (one, normally). fs.promises.readFile reads
 * 512 KiB per request, and each request waits its turn on libuv's thread pool: while `densenet infer` decodes
 * images there (sharp runs on the same pool), a 32 MB weights file took 64 queued turns, ~45 ms of an idle main
 * thread. The buffer is not zero-filled first (every byte of it is read) and owns its memory from offset 0, so
 * 4-byte-aligned records in the file are 4-byte-aligned in memory (the readers' views depend on it).
 */
import { open } from 'node:fs/promises';

/** The file's bytes; a file that shrinks while read gives what was there, one that grows gives its size at open. */
export async function readWhole(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.allocUnsafeSlow(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return new Uint8Array(buf.buffer, 0, off);
  } finally {
    await fh.close();
  }
}
