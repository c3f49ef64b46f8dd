/**
 * Strict ZIP reader for torch.save archives: the central directory is the one source of truth for every entry,
 * and the rest of the file must agree with it (local headers, data descriptors, ZIP64 records) and be covered by
 * it exactly: entries laid end to end from byte 0 up to the central directory, no gaps, no overlaps, no bytes
 * after the end record. Stored and deflated entries; CRC-32 checked by default; a deflated entry may claim at
 * most what deflate can produce from its compressed bytes (1032:1), so a zip bomb is refused before inflating.
 * Not a general archiver: no writing, encryption, multi-disk archives, other methods or unsafe names.
 * Format: PKWARE APPNOTE.TXT 6.3.10, 4.3.7 (local header), 4.3.9 (data descriptor), 4.3.12 (central
 * directory), 4.3.14-16 (ZIP64 end records), 4.4.4 (flags), 4.5.3 (ZIP64 extended information).
 */
import * as zlib from 'node:zlib';
import { FormatError } from './format-error.js';

export interface ZipEntry {
  name: string;
  method: number; // 0 stored, 8 deflate
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  /** Byte offset of the entry's data (after its local header). */
  dataOffset: number;
}

/** One Uint8Array (Node's buffer.kMaxLength is 2^32 on 64-bit hosts). */
const MAX_ENTRY = 2 ** 32 - 1;
/** Deflate's best ratio: 258 bytes per 2-bit code, about 1032:1 (zlib's FAQ, "maximum compression factor"). */
const DEFLATE_RATIO = 1032;
const MAX_ENTRIES = 1 << 20;
const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOCATOR64 = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;
/** Flag bits (APPNOTE 4.4.4): 0 encrypted, 6 strong encryption, 13 masked local header. */
const FLAG_ENCRYPTED = 1 | (1 << 6) | (1 << 13);
const FLAG_DESCRIPTOR = 1 << 3;
const SAT32 = 0xffffffff;

function fail(detail: string): never {
  throw new FormatError('zip', detail);
}

let crcTable: Uint32Array | undefined;
/** CRC-32 (IEEE): node:zlib's when this Node has it (>= 20.15 / 22.2), else a table. */
export function crc32(bytes: Uint8Array): number {
  const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  if (native) return native(bytes) >>> 0;
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

/** Names a reader could be tricked by: absolute, drive-relative, '..', backslashes, NUL or control characters. */
function unsafeName(name: string): string | null {
  if (name.length === 0) return 'an empty name';
  if (name.startsWith('/')) return 'an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'a drive letter';
  if (name.includes('\\')) return 'a backslash';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) return 'a NUL or control character';
  if (name.split('/').some((s) => s === '..' || s === '.')) return "a '.' or '..' segment";
  return null;
}

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly dv: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const cd = this.readEndRecords();
    this.readCentralDirectory(cd);
    this.checkLayout(cd.offset);
  }

  private u16(at: number): number { return this.dv.getUint16(at, true); }
  private u32(at: number): number { return this.dv.getUint32(at, true); }
  /** An 8-byte size or offset, at most `limit` (the file length unless said otherwise). */
  private u64(at: number, what: string, limit = this.bytes.length): number {
    const v = this.dv.getBigUint64(at, true);
    if (v > BigInt(limit)) fail(`corrupt zip archive (${what} ${v} exceeds ${limit})`);
    return Number(v);
  }
  private need(at: number, n: number, what: string): void {
    if (at < 0 || at + n > this.bytes.length) fail(`truncated zip archive (${what} at byte ${at} runs past the end of the file)`);
  }

  /** The end of central directory record (and its ZIP64 twin): where the directory is and how many entries. */
  private readEndRecords(): { offset: number; size: number; count: number } {
    const len = this.bytes.length;
    let eocd = -1;
    for (let i = len - 22; i >= Math.max(0, len - 22 - 0xffff); i--) {
      if (this.u32(i) === SIG_EOCD && i + 22 + this.u16(i + 20) === len) { eocd = i; break; }
    }
    if (eocd < 0) fail('truncated zip archive (central directory not found)');
    if (this.u16(eocd + 4) !== 0 || this.u16(eocd + 6) !== 0) fail('multi-disk zip archives are not supported');
    let count = this.u16(eocd + 10);
    if (this.u16(eocd + 8) !== count) fail('corrupt zip archive (end record disagrees with itself on the entry count)');
    let size = this.u32(eocd + 12);
    let offset = this.u32(eocd + 16);
    let end = eocd;
    if (eocd >= 20 && this.u32(eocd - 20) === SIG_LOCATOR64) {
      if (this.u32(eocd - 16) !== 0 || this.u32(eocd - 4) !== 1) fail('multi-disk zip archives are not supported');
      const at = this.u64(eocd - 12, 'ZIP64 end record offset');
      this.need(at, 56, 'ZIP64 end of central directory');
      if (this.u32(at) !== SIG_EOCD64) fail(`corrupt zip archive (no ZIP64 end of central directory at byte ${at})`);
      if (at + 12 + this.u64(at + 4, 'ZIP64 end record size') !== eocd - 20) {
        fail('corrupt zip archive (ZIP64 end record does not end at its locator)');
      }
      if (this.u32(at + 16) !== 0 || this.u32(at + 20) !== 0) fail('multi-disk zip archives are not supported');
      const count64 = this.u64(at + 32, 'ZIP64 entry count');
      if (this.u64(at + 24, 'ZIP64 entry count on this disk') !== count64) {
        fail('corrupt zip archive (ZIP64 end record disagrees with itself on the entry count)');
      }
      const size64 = this.u64(at + 40, 'ZIP64 central directory size');
      const offset64 = this.u64(at + 48, 'ZIP64 central directory offset');
      // a 32-bit field is either saturated (the ZIP64 one holds the value) or equal to it
      if ((count !== 0xffff && count !== count64) || (size !== SAT32 && size !== size64) || (offset !== SAT32 && offset !== offset64)) {
        fail('corrupt zip archive (ZIP64 end record disagrees with the end record)');
      }
      count = count64;
      size = size64;
      offset = offset64;
      end = at;
    } else if (count === 0xffff || size === SAT32 || offset === SAT32) {
      fail('corrupt zip archive (ZIP64 values without a ZIP64 locator)');
    }
    if (offset + size !== end) {
      fail(`corrupt or truncated zip archive (central directory [${offset}, ${offset + size}) does not end at its end record at ${end})`);
    }
    if (count > MAX_ENTRIES || count * 46 > size) fail(`corrupt zip archive (${count} entries cannot fit a ${size}-byte central directory)`);
    return { offset, size, count };
  }

  private readCentralDirectory(cd: { offset: number; size: number; count: number }): void {
    let at = cd.offset;
    const end = cd.offset + cd.size;
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    for (let i = 0; i < cd.count; i++) {
      if (at + 46 > end) fail(`corrupt zip archive (central directory entry ${i} runs past the directory)`);
      if (this.u32(at) !== SIG_CENTRAL) fail(`corrupt zip archive (central directory entry ${i} at byte ${at} has a bad signature)`);
      const flags = this.u16(at + 8);
      const nameLen = this.u16(at + 28);
      const extraLen = this.u16(at + 30);
      const commentLen = this.u16(at + 32);
      if (at + 46 + nameLen + extraLen + commentLen > end) fail(`corrupt zip archive (central directory entry ${i} runs past the directory)`);
      let name: string;
      try {
        name = utf8.decode(this.bytes.subarray(at + 46, at + 46 + nameLen));
      } catch {
        fail(`corrupt zip archive (entry ${i} has a name that is not UTF-8)`);
      }
      const unsafe = unsafeName(name);
      if (unsafe) fail(`entry ${JSON.stringify(name)} has an unsafe name (${unsafe})`);
      if (flags & FLAG_ENCRYPTED) fail(`entry '${name}' is encrypted`);
      if (this.u16(at + 34) !== 0) fail(`entry '${name}' lies on another disk (multi-disk archives are not supported)`);
      const e: ZipEntry = {
        name, method: this.u16(at + 10), flags, crc: this.u32(at + 16), compressedSize: this.u32(at + 20),
        size: this.u32(at + 24), localOffset: this.u32(at + 42), dataOffset: 0,
      };
      this.applyZip64Extra(e, at + 46 + nameLen, extraLen);
      if (e.method !== 0 && e.method !== 8) fail(`entry '${name}' uses unsupported compression method ${e.method}`);
      if (e.method === 0 && e.compressedSize !== e.size) fail(`corrupt zip archive (stored entry '${name}' has sizes ${e.compressedSize} and ${e.size})`);
      if (e.method === 8 && e.size > e.compressedSize * DEFLATE_RATIO + 64) {
        fail(`entry '${name}' claims to inflate ${e.compressedSize} bytes to ${e.size}, more than deflate can (a zip bomb?)`);
      }
      if (this.entries.has(name)) fail(`corrupt zip archive (entry '${name}' appears twice)`);
      this.entries.set(name, e);
      at += 46 + nameLen + extraLen + commentLen;
    }
    if (at !== end) fail(`corrupt zip archive (central directory has ${end - at} bytes after its ${cd.count} entries)`);
  }

  /** ZIP64 extended information (id 0x0001): 8-byte values, present only for fields saturated at 0xFFFFFFFF. */
  private applyZip64Extra(e: ZipEntry, start: number, len: number): void {
    const saturated = { size: e.size === SAT32, compressed: e.compressedSize === SAT32, offset: e.localOffset === SAT32 };
    let seen = false;
    let p = start;
    for (; p + 4 <= start + len;) {
      const id = this.u16(p);
      const size = this.u16(p + 2);
      if (p + 4 + size > start + len) fail(`corrupt zip archive (extra field of '${e.name}' overruns its entry)`);
      if (id === 0x0001) {
        if (seen) fail(`corrupt zip archive (entry '${e.name}' has two ZIP64 fields)`);
        seen = true;
        let q = p + 4;
        const take = (what: string, limit?: number): number => {
          if (q + 8 > p + 4 + size) fail(`corrupt zip archive (ZIP64 field of '${e.name}' is too short)`);
          const v = this.u64(q, `ZIP64 ${what} of '${e.name}'`, limit);
          q += 8;
          return v;
        };
        if (saturated.size) e.size = take('size', MAX_ENTRY);
        if (saturated.compressed) e.compressedSize = take('compressed size');
        if (saturated.offset) e.localOffset = take('offset');
      }
      p += 4 + size;
    }
    if (p !== start + len) fail(`corrupt zip archive (extra field of '${e.name}' overruns its entry)`);
    if (!seen && (saturated.size || saturated.compressed || saturated.offset)) {
      fail(`corrupt zip archive (entry '${e.name}' has saturated sizes but no ZIP64 field)`);
    }
  }

  /**
   * Each local header must repeat its central entry (name, method, flags, sizes, CRC, or zeros with a data
   * descriptor that repeats them), and the entries must tile [0, cdOffset) in order: no gap can hide data and
   * no two entries can share bytes.
   */
  private checkLayout(cdOffset: number): void {
    const sorted = [...this.entries.values()].sort((a, b) => a.localOffset - b.localOffset);
    let at = 0;
    for (let i = 0; i < sorted.length; i++) {
      const e = sorted[i];
      if (e.localOffset !== at) {
        fail(e.localOffset < at
          ? `corrupt zip archive (entry '${e.name}' at byte ${e.localOffset} overlaps the entry before it)`
          : `corrupt zip archive (bytes [${at}, ${e.localOffset}) before entry '${e.name}' belong to no entry)`);
      }
      const next = i + 1 < sorted.length ? sorted[i + 1].localOffset : cdOffset;
      at = this.checkLocal(e, next);
    }
    if (at !== cdOffset) fail(`corrupt zip archive (bytes [${at}, ${cdOffset}) before the central directory belong to no entry)`);
  }

  /** Checks one local header (and data descriptor) against the central entry; returns where the entry ends. */
  private checkLocal(e: ZipEntry, next: number): number {
    const at = e.localOffset;
    const name = e.name;
    this.need(at, 30, `local header of '${name}'`);
    if (this.u32(at) !== SIG_LOCAL) fail(`corrupt zip archive (local header of '${name}' at byte ${at} has a bad signature)`);
    const nameLen = this.u16(at + 26);
    const extraLen = this.u16(at + 28);
    this.need(at + 30, nameLen + extraLen, `local header of '${name}'`);
    const localName = this.bytes.subarray(at + 30, at + 30 + nameLen);
    const centralName = new TextEncoder().encode(name);
    if (localName.length !== centralName.length || localName.some((b, j) => b !== centralName[j])) {
      fail(`local header of '${name}' names another file (${JSON.stringify(new TextDecoder().decode(localName))})`);
    }
    const flags = this.u16(at + 6);
    if (flags !== e.flags) fail(`local header of '${name}' has flags 0x${flags.toString(16)} but the central directory 0x${e.flags.toString(16)}`);
    if (this.u16(at + 8) !== e.method) fail(`local header of '${name}' has compression method ${this.u16(at + 8)} but the central directory ${e.method}`);
    let crc = this.u32(at + 14);
    let csize = this.u32(at + 18);
    let usize = this.u32(at + 22);
    if (csize === SAT32 || usize === SAT32) [usize, csize] = this.localZip64(e, at + 30 + nameLen, extraLen, usize, csize);
    const descriptor = (flags & FLAG_DESCRIPTOR) !== 0;
    const zeros = crc === 0 && csize === 0 && usize === 0;
    if (!(descriptor && zeros) && (crc !== e.crc || csize !== e.compressedSize || usize !== e.size)) {
      fail(`local header of '${name}' disagrees with the central directory (crc/sizes ${hex(crc)}/${csize}/${usize} vs ${hex(e.crc)}/${e.compressedSize}/${e.size})`);
    }
    e.dataOffset = at + 30 + nameLen + extraLen;
    const dataEnd = e.dataOffset + e.compressedSize;
    if (dataEnd > next) fail(`corrupt or truncated zip archive (data of '${name}' runs into the next record at byte ${next})`);
    if (!descriptor) return dataEnd;
    // data descriptor: [signature] crc, compressed size, size (4 or 8 bytes each); it must fill the gap exactly
    const gap = next - dataEnd;
    const sig = gap >= 4 && this.u32(dataEnd) === SIG_DESCRIPTOR ? 4 : 0;
    const wide = gap - sig === 20;
    if (gap - sig !== 12 && !wide) fail(`corrupt zip archive (data descriptor of '${name}' has ${gap} bytes)`);
    const p = dataEnd + sig;
    const dc = wide ? this.u64(p + 4, 'descriptor size') : this.u32(p + 4);
    const du = wide ? this.u64(p + 12, 'descriptor size', MAX_ENTRY) : this.u32(p + 8);
    if (this.u32(p) !== e.crc || dc !== e.compressedSize || du !== e.size) {
      fail(`data descriptor of '${name}' disagrees with the central directory`);
    }
    return next;
  }

  /** Sizes from a local header's ZIP64 field (size first, then compressed size), compared by the caller. */
  private localZip64(e: ZipEntry, start: number, len: number, usize: number, csize: number): [number, number] {
    for (let p = start; p + 4 <= start + len;) {
      const id = this.u16(p);
      const size = this.u16(p + 2);
      if (p + 4 + size > start + len) break;
      if (id === 0x0001) {
        let q = p + 4;
        if (usize === SAT32 && q + 8 <= p + 4 + size) { usize = this.u64(q, `local ZIP64 size of '${e.name}'`, MAX_ENTRY); q += 8; }
        if (csize === SAT32 && q + 8 <= p + 4 + size) csize = this.u64(q, `local ZIP64 compressed size of '${e.name}'`);
        return [usize, csize];
      }
      p += 4 + size;
    }
    fail(`local header of '${e.name}' has saturated sizes but no ZIP64 field`);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The entry's bytes (a view into the archive for stored entries). */
  read(name: string, opts: { verifyCrc?: boolean } = {}): Uint8Array {
    const e = this.entries.get(name);
    if (!e) fail(`archive has no entry '${name}'`);
    const raw = this.bytes.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) {
      data = raw;
    } else {
      try {
        // bounded by the central directory's size, itself bounded by deflate's ratio: never more than claimed
        const out = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
        data = new Uint8Array(out.buffer, out.byteOffset, out.length);
      } catch (err) {
        fail(`corrupt zip archive (entry '${name}' does not inflate: ${(err as Error).message.split('\n')[0]})`);
      }
      if (data.length !== e.size) fail(`corrupt zip archive (entry '${name}' inflates to ${data.length} bytes, expected ${e.size})`);
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
