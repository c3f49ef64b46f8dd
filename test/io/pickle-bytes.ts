/**
 * Hand-assembles pickle bytes for tests (opcodes as CPython's Lib/pickletools.py documents them), so the
 * malicious and malformed cases need no Python. Test-only.
 */
export type Part = string | number | number[] | Uint8Array;

/** Concatenates parts: strings are raw latin1 opcode text, numbers single bytes. */
export function pk(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'string') for (const c of p) out.push(c.charCodeAt(0));
    else if (typeof p === 'number') out.push(p);
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

export const PROTO2 = [0x80, 2];
/** BINUNICODE */
export function str(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [0x58, b.length & 0xff, (b.length >> 8) & 0xff, 0, 0, ...b];
}
/** BININT1 or BININT */
export function int(n: number): number[] {
  if (n >= 0 && n < 256) return [0x4b, n];
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return [0x4a, ...b];
}
export function glob(module: string, name: string): string {
  return `c${module}\n${name}\n`;
}
/** MARK items... TUPLE */
export function tuple(...items: Part[]): Part[] {
  return ['(', ...items, 't'];
}
/** A call of torch._utils._rebuild_tensor_v2 on persistent storage `key`. */
export function tensor(key: string, storage: string, numel: number, offset: number, size: number[], stride: number[]): Part[] {
  return [
    glob('torch._utils', '_rebuild_tensor_v2'),
    ...tuple(
      ...tuple(str('storage'), glob('torch', storage), str(key), str('cpu'), int(numel)), 'Q',
      int(offset), ...tuple(...size.map(int)), ...tuple(...stride.map(int)), 0x89,
      glob('collections', 'OrderedDict'), ')R',
    ),
    'R',
  ];
}
/** {k: v, ...} as EMPTY_DICT MARK k v ... SETITEMS, then STOP. */
export function dictPickle(entries: [string, Part[]][]): Uint8Array {
  return pk(PROTO2, '}(', ...entries.flatMap(([k, v]) => [str(k), ...v]), 'u.');
}
