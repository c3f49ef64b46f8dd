/**
 * Minimal ZIP reader for torch.save archives: the central directory (with ZIP64 records and extra fields,
 * which torch always writes), stored and deflated entries, CRC-32 checked by default.
 * Not a general archiver: no writing, encryption, multi-disk archives or other compression methods.
 * Format: PKWARE APPNOTE.TXT 6.3.10, sections 4.3 (records) and 4.5.3 (ZIP64 extended information).
 */
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number; // 0 stored, 8 deflate
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const MAX_ENTRY = 2 ** 32 - 1; // one Uint8Array (Node's buffer.kMaxLength is 2^32 on 64-bit hosts)
const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOCATOR64 = 0x07064b50;

function fail(msg: string): never {
  throw new Error(`zip: ${msg}`);
}

let crcTable: Uint32Array | undefined;
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly dv: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.readCentralDirectory();
  }

  private u16(at: number): number { return this.dv.getUint16(at, true); }
  private u32(at: number): number { return this.dv.getUint32(at, true); }
  /** An 8-byte size or offset; `limit` bounds it (the file length for offsets and stored sizes). */
  private u64(at: number, what: string, limit = this.bytes.length): number {
    const v = this.dv.getBigUint64(at, true);
    if (v > BigInt(limit)) fail(`corrupt or truncated zip archive (${what} ${v} exceeds ${limit})`);
    return Number(v);
  }
  private need(at: number, n: number, what: string): void {
    if (at < 0 || at + n > this.bytes.length) fail(`truncated zip archive (${what} at byte ${at} runs past the end of the file)`);
  }

  private readCentralDirectory(): void {
    const len = this.bytes.length;
    let eocd = -1;
    for (let i = len - 22; i >= Math.max(0, len - 22 - 0xffff); i--) {
      if (this.u32(i) === SIG_EOCD && i + 22 + this.u16(i + 20) <= len) { eocd = i; break; }
    }
    if (eocd < 0) fail('truncated zip archive (central directory not found)');
    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    let cdEnd = eocd;
    if (eocd >= 20 && this.u32(eocd - 20) === SIG_LOCATOR64) {
      const at = this.u64(eocd - 12, 'ZIP64 end record offset');
      this.need(at, 56, 'ZIP64 end of central directory');
      if (this.u32(at) !== SIG_EOCD64) fail(`corrupt zip archive (no ZIP64 end of central directory at byte ${at})`);
      count = this.u64(at + 32, 'ZIP64 entry count');
      cdSize = this.u64(at + 40, 'ZIP64 central directory size');
      cdOffset = this.u64(at + 48, 'ZIP64 central directory offset');
      cdEnd = at;
    } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      fail('corrupt zip archive (ZIP64 values without a ZIP64 locator)');
    }
    if (cdOffset + cdSize > cdEnd) fail(`corrupt or truncated zip archive (central directory [${cdOffset}, ${cdOffset + cdSize}) overlaps its end record at ${cdEnd})`);
    let at = cdOffset;
    for (let i = 0; i < count; i++) {
      this.need(at, 46, 'central directory entry');
      if (this.u32(at) !== SIG_CENTRAL) fail(`corrupt zip archive (central directory entry ${i} at byte ${at} has a bad signature)`);
      const flags = this.u16(at + 8);
      const nameLen = this.u16(at + 28);
      const extraLen = this.u16(at + 30);
      const commentLen = this.u16(at + 32);
      this.need(at + 46, nameLen + extraLen + commentLen, 'central directory entry');
      const name = new TextDecoder().decode(this.bytes.subarray(at + 46, at + 46 + nameLen));
      const e: ZipEntry = {
        name, method: this.u16(at + 10), crc: this.u32(at + 16), compressedSize: this.u32(at + 20),
        size: this.u32(at + 24), localOffset: this.u32(at + 42),
      };
      this.applyZip64Extra(e, at + 46 + nameLen, extraLen);
      if (flags & 1) fail(`entry '${name}' is encrypted`);
      if (this.entries.has(name)) fail(`corrupt zip archive (entry '${name}' appears twice)`);
      this.entries.set(name, e);
      at += 46 + nameLen + extraLen + commentLen;
    }
    if (at > cdOffset + cdSize) fail('corrupt zip archive (central directory is longer than its recorded size)');
  }

  // ZIP64 extended information (header id 0x0001): 8-byte values present only for fields saturated at 0xFFFFFFFF.
  private applyZip64Extra(e: ZipEntry, start: number, len: number): void {
    for (let p = start; p + 4 <= start + len;) {
      const id = this.u16(p);
      const size = this.u16(p + 2);
      if (p + 4 + size > start + len) fail(`corrupt zip archive (extra field of '${e.name}' overruns its entry)`);
      if (id === 0x0001) {
        let q = p + 4;
        const take = (what: string, limit?: number): number => {
          if (q + 8 > p + 4 + size) fail(`corrupt zip archive (ZIP64 field of '${e.name}' is too short)`);
          const v = this.u64(q, `ZIP64 ${what} of '${e.name}'`, limit);
          q += 8;
          return v;
        };
        if (e.size === 0xffffffff) e.size = take('size', MAX_ENTRY);
        if (e.compressedSize === 0xffffffff) e.compressedSize = take('compressed size');
        if (e.localOffset === 0xffffffff) e.localOffset = take('offset');
      }
      p += 4 + size;
    }
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The entry's bytes (a view into the archive for stored entries). */
  read(name: string, opts: { verifyCrc?: boolean } = {}): Uint8Array {
    const e = this.entries.get(name);
    if (!e) fail(`archive has no entry '${name}'`);
    const at = e.localOffset;
    this.need(at, 30, `local header of '${name}'`);
    if (this.u32(at) !== SIG_LOCAL) fail(`corrupt zip archive (local header of '${name}' at byte ${at} has a bad signature)`);
    const start = at + 30 + this.u16(at + 26) + this.u16(at + 28);
    this.need(start, e.compressedSize, `data of '${name}'`);
    const raw = this.bytes.subarray(start, start + e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) fail(`corrupt zip archive (stored entry '${name}' has sizes ${e.compressedSize} and ${e.size})`);
      data = raw;
    } else if (e.method === 8) {
      try {
        const out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
        data = new Uint8Array(out.buffer, out.byteOffset, out.length);
      } catch (err) {
        fail(`corrupt zip archive (entry '${name}' does not inflate: ${(err as Error).message.split('\n')[0]})`);
      }
      if (data.length !== e.size) fail(`corrupt zip archive (entry '${name}' inflates to ${data.length} bytes, expected ${e.size})`);
    } else {
      fail(`entry '${name}' uses unsupported compression method ${e.method}`);
    }
    if (opts.verifyCrc !== false) {
      const c = crc32(data);
      if (c !== e.crc) fail(`corrupt zip archive (entry '${name}' fails its CRC-32 check: ${hex(c)} != ${hex(e.crc)})`);
    }
    return data;
  }
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

export function readZip(bytes: Uint8Array): ZipArchive {
  return new ZipArchive(bytes);
}
