/**
 * Builds small ZIP archives for the zip and pth tests (stored or deflated entries, optionally every size and
 * offset in ZIP64 form, as torch writes large files). Test-only: the library never writes ZIP.
 * Format: PKWARE APPNOTE.TXT 4.3.7 (local header), 4.3.12 (central directory), 4.3.14-16 (ZIP64 end records).
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface BuildEntry { name: string; data: Uint8Array; deflate?: boolean }

class Writer {
  private parts: number[] = [];
  get length(): number { return this.parts.length; }
  u16(v: number): this { this.parts.push(v & 0xff, (v >>> 8) & 0xff); return this; }
  u32(v: number): this { return this.u16(v & 0xffff).u16(v >>> 16); }
  u64(v: number): this { return this.u32(v % 2 ** 32).u32(Math.floor(v / 2 ** 32)); }
  bytes(b: Uint8Array): this { for (const x of b) this.parts.push(x); return this; }
  done(): Uint8Array { return Uint8Array.from(this.parts); }
}

/**
 * descriptor: write sizes and CRC after the data (flag bit 3, zeros in the local header) as torch's writer does,
 * 'short' with 4-byte sizes (16 bytes), 'wide' with 8-byte ZIP64 sizes (24 bytes).
 */
export function buildZip(entries: BuildEntry[], opts: { zip64?: boolean; descriptor?: 'short' | 'wide' } = {}): Uint8Array {
  const w = new Writer();
  const central = new Writer();
  const enc = new TextEncoder();
  for (const e of entries) {
    const name = enc.encode(e.name);
    const body = e.deflate ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const crc = crc32(e.data);
    const offset = w.length;
    const flags = opts.descriptor ? 0x808 : 0;
    if (opts.descriptor) {
      w.u32(0x04034b50).u16(45).u16(flags).u16(e.deflate ? 8 : 0).u16(0).u16(0).u32(0).u32(0).u32(0)
        .u16(name.length).u16(0).bytes(name).bytes(body).u32(0x08074b50).u32(crc);
      if (opts.descriptor === 'wide') w.u64(body.length).u64(e.data.length);
      else w.u32(body.length).u32(e.data.length);
    } else {
      w.u32(0x04034b50).u16(45).u16(0).u16(e.deflate ? 8 : 0).u16(0).u16(0).u32(crc)
        .u32(body.length).u32(e.data.length).u16(name.length).u16(0).bytes(name).bytes(body);
    }
    const big = opts.zip64 ? 0xffffffff : -1;
    central.u32(0x02014b50).u16(45).u16(45).u16(flags).u16(e.deflate ? 8 : 0).u16(0).u16(0).u32(crc)
      .u32(big >= 0 ? big : body.length).u32(big >= 0 ? big : e.data.length)
      .u16(name.length).u16(opts.zip64 ? 28 : 0).u16(0).u16(0).u16(0).u32(0)
      .u32(big >= 0 ? big : offset).bytes(name);
    if (opts.zip64) central.u16(1).u16(24).u64(e.data.length).u64(body.length).u64(offset);
  }
  const cdOffset = w.length;
  const cd = central.done();
  w.bytes(cd);
  if (opts.zip64) {
    const eocd64 = w.length;
    w.u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0).u64(entries.length).u64(entries.length)
      .u64(cd.length).u64(cdOffset);
    w.u32(0x07064b50).u32(0).u64(eocd64).u32(1);
    w.u32(0x06054b50).u16(0).u16(0).u16(0xffff).u16(0xffff).u32(0xffffffff).u32(0xffffffff).u16(0);
  } else {
    w.u32(0x06054b50).u16(0).u16(0).u16(entries.length).u16(entries.length).u32(cd.length).u32(cdOffset).u16(0);
  }
  return w.done();
}
