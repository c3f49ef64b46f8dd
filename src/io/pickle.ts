/**
 * Restricted unpickler for torch.save: plain data, OrderedDict, and tensors rebuilt from persistent-id
 * storages. It executes nothing: the few globals below are interpreted here, any other is refused.
 * It accepts no more than PyTorch's weights-only unpickler (torch/_weights_only_unpickler.py, 1.13 and 2.x):
 * the same opcodes, minus EMPTY_SET; a subset of its globals; SETITEM(S) only on dicts (CVE-2026-24747);
 * BUILD only on an OrderedDict. Bounded: stack, MARK depth and memo indices; strings by the bytes behind them.
 * Not a general pickle (no protocol-0 text opcodes, no FRAME/MEMOIZE/STACK_GLOBAL of protocol 4, no sets or
 * classes). Format: CPython Lib/pickletools.py; torch/_utils.py.
 */
import { ELEMENT_SIZE, type DType } from './dtypes.js';
import { FormatError } from './format-error.js';

export class PyTuple { constructor(readonly items: PyValue[]) {} }
/** dict and collections.OrderedDict (insertion-ordered); `attrs` holds BUILD state such as `_metadata`. */
export class PyDict { readonly map = new Map<PyValue, PyValue>(); attrs: PyValue = null; constructor(readonly ordered = false) {} }
export class PyGlobal { constructor(readonly module: string, readonly name: string) {} }
/** A storage named by a persistent id: ('storage', type, key, location, numel[, view_metadata]). */
export class StorageRef {
  constructor(readonly dtype: DType, readonly key: string, readonly numel: number,
    readonly view: { offset: number; numel: number } | null = null) {}
}
/** torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...), not yet materialised. */
export class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly size: number[], readonly stride: number[]) {}
}
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PyGlobal
  | StorageRef | TensorRef;

// A Map, not an object literal: 'torch.constructor' must not resolve through Object.prototype.
const STORAGES = new Map<string, DType>([
  ['FloatStorage', 'F32'], ['DoubleStorage', 'F64'], ['HalfStorage', 'F16'], ['BFloat16Storage', 'BF16'],
  ['LongStorage', 'I64'], ['IntStorage', 'I32'], ['ByteStorage', 'U8'], ['BoolStorage', 'BOOL'],
]);
const FUNCTIONS = new Set([
  'collections.OrderedDict', 'torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state',
]);

function fail(msg: string): never {
  throw new FormatError('pth', msg);
}

/** Values on the stack at once (a state_dict pickle batches SETITEMS by 1000, so it needs about 2000). */
const MAX_STACK = 1 << 17;
/** Open MARKs at once. */
const MAX_MARKS = 1 << 12;
/** Memo indices (torch numbers them from 0 by one per object, so far fewer than the pickle's bytes). */
const MAX_MEMO = 1 << 24;

function typeName(v: PyValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return v.constructor.name;
  return typeof v;
}

const isIndex = (v: PyValue): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function indexTuple(v: PyValue, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items || !items.every(isIndex)) fail(`tensor ${what} is not a tuple of non-negative integers`);
  return items as number[];
}

function storageFromPid(pid: PyValue): StorageRef {
  const t = pid instanceof PyTuple ? pid.items : [];
  const [kind, type, key, , numel, view] = t;
  if (kind !== 'storage' || (t.length !== 5 && t.length !== 6)) fail('unsupported persistent id (expected a torch storage)');
  const dtype = type instanceof PyGlobal && type.module === 'torch' ? STORAGES.get(type.name) : undefined;
  if (!dtype) fail('persistent id names no supported storage type');
  if (typeof key !== 'string' && typeof key !== 'number') fail('storage key is not a string');
  if (!isIndex(numel)) fail(`storage '${key}' has an invalid size`);
  if (view === undefined || view === null) return new StorageRef(dtype, String(key), numel);
  // Legacy storage views (PyTorch < 0.4): (view_key, offset, view_size) into the root storage.
  const [, offset, size] = view instanceof PyTuple ? view.items : [];
  if (!isIndex(offset) || !isIndex(size) || offset + size > numel) fail(`storage '${key}' has an invalid view`);
  return new StorageRef(dtype, String(key), numel, { offset, numel: size });
}

/** Largest tensor accepted (elements), and rank. */
export const MAX_ELEMENTS = 2 ** 30;
const MAX_RANK = 32;

/**
 * A tensor view must lie inside its storage: size and stride of one rank, at most MAX_ELEMENTS elements, and
 * the last element it reaches (offset + sum (size-1)*stride) inside the storage (or its legacy view). This is
 * the check whose absence in torch < 2.10 made CVE-2026-24747 an out-of-bounds read.
 */
function checkedTensor(t: TensorRef): TensorRef {
  const { size, stride, offset } = t;
  const dims = `[${size.join(',')}]`;
  if (size.length !== stride.length) fail(`tensor ${dims} has ${size.length} sizes but ${stride.length} strides`);
  if (size.length > MAX_RANK) fail(`tensor ${dims} has more than ${MAX_RANK} dimensions`);
  let n = 1;
  for (const d of size) n *= d;
  if (n > MAX_ELEMENTS) fail(`tensor ${dims} has more than ${MAX_ELEMENTS} elements`);
  if (n === 0) return t;
  let last = offset;
  for (let d = 0; d < size.length; d++) last += (size[d] - 1) * stride[d];
  const limit = t.storage.view?.numel ?? t.storage.numel;
  if (!(last < limit)) {
    fail(`tensor ${dims} (offset ${offset}, strides [${stride.join(',')}]) reaches element ${last} of a ${limit}-element storage '${t.storage.key}'`);
  }
  return t;
}

function call(f: PyGlobal, args: PyValue[]): PyValue {
  const name = `${f.module}.${f.name}`;
  if (name === 'collections.OrderedDict') {
    const d = new PyDict(true);
    const pairs = args[0]; // Python 2 pickles: OrderedDict([[k, v], ...])
    if (args.length > 1 || (pairs !== undefined && !Array.isArray(pairs))) fail('unsupported OrderedDict arguments');
    for (const p of pairs ?? []) {
      const kv = p instanceof PyTuple ? p.items : Array.isArray(p) ? p : [];
      if (kv.length !== 2) fail('OrderedDict item is not a pair');
      d.map.set(kv[0], kv[1]);
    }
    return d;
  }
  if (name === 'torch._utils._rebuild_tensor' || name === 'torch._utils._rebuild_tensor_v2') {
    const [storage, offset] = args;
    const arity = f.name === '_rebuild_tensor' ? [4] : [6, 7]; // (storage, offset, size, stride[, requires_grad, hooks[, metadata]])
    if (!arity.includes(args.length)) fail(`${f.name} called with ${args.length} arguments`);
    if (!(storage instanceof StorageRef) || !isIndex(offset)) fail(`${f.name} called without a storage and offset`);
    return checkedTensor(new TensorRef(storage, offset, indexTuple(args[2], 'size'), indexTuple(args[3], 'stride')));
  }
  if (name === 'torch._utils._rebuild_parameter' || name === 'torch._utils._rebuild_parameter_with_state') {
    if (!(args[0] instanceof TensorRef)) fail(`${f.name} called without a tensor`);
    return args[0];
  }
  fail(`refusing to call '${name}'`);
}

export interface Unpickled { value: PyValue; end: number }

/**
 * One decoder of each kind for every string (a decode call keeps no state) instead of one per string: the first
 * (cold) unpickle of densenet121.pth's 121 kB data.pkl in a fresh process, 9 processes each, alternated:
 * median 52.1 -> 24.8 ms (the one a CLI run pays).
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const LATIN1 = new TextDecoder('latin1', { fatal: true });

/** Unpickles one pickle starting at `start`; returns the value and the offset just past its STOP. */
export function unpickle(bytes: Uint8Array, start = 0): Unpickled {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  const memoLimit = Math.min(MAX_MEMO, bytes.length);
  let pos = start;
  let op = 0;
  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) fail(`truncated pickle (opcode 0x${op.toString(16)} needs ${n} bytes at byte ${pos})`);
    const at = pos;
    pos += n;
    return at;
  };
  const push = (v: PyValue): void => {
    if (stack.length >= MAX_STACK) fail(`pickle stack exceeds ${MAX_STACK} values at byte ${pos - 1}`);
    stack.push(v);
  };
  const pop = (): PyValue => {
    if (stack.length <= (marks.length ? marks[marks.length - 1] : 0)) fail(`corrupt pickle (stack underflow at byte ${pos - 1})`);
    return stack.pop() as PyValue;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) fail(`corrupt pickle (no MARK at byte ${pos - 1})`);
    return stack.splice(m);
  };
  const top = (): PyValue => {
    if (stack.length <= (marks.length ? marks[marks.length - 1] : 0)) fail(`corrupt pickle (empty stack at byte ${pos - 1})`);
    return stack[stack.length - 1];
  };
  const text = (n: number, enc: 'utf-8' | 'latin1'): string => {
    const at = need(n);
    try {
      return (enc === 'utf-8' ? UTF8 : LATIN1).decode(bytes.subarray(at, at + n));
    } catch {
      fail(`corrupt pickle (invalid ${enc} string at byte ${at})`);
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('truncated pickle (unterminated GLOBAL)');
    const s = text(end - pos, 'utf-8');
    pos++; // the newline
    return s;
  };
  const long = (n: number): number | bigint => {
    const at = need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
    if (n > 0 && bytes[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const global = (module: string, name: string): PyGlobal => {
    const qualified = `${module}.${name}`;
    if (!FUNCTIONS.has(qualified) && !(module === 'torch' && STORAGES.has(name))) {
      fail(`refusing to load global '${qualified}' (only state_dict contents are allowed)`);
    }
    return new PyGlobal(module, name);
  };
  const setItems = (d: PyValue, kv: PyValue[]): void => {
    if (!(d instanceof PyDict) || kv.length % 2) fail(`corrupt pickle (SETITEMS on ${typeName(d)} at byte ${pos - 1})`);
    for (let i = 0; i < kv.length; i += 2) d.map.set(kv[i], kv[i + 1]);
  };
  const append = (l: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(l)) fail(`corrupt pickle (APPEND to ${typeName(l)} at byte ${pos - 1})`);
    for (const v of items) l.push(v);
  };
  const memoIndex = (k: number): number => {
    if (k >= memoLimit) fail(`corrupt pickle (memo index ${k} at byte ${pos} is out of range)`);
    return k;
  };

  for (;;) {
    op = bytes[need(1)];
    switch (op) {
      case 0x80: if (bytes[need(1)] > 5) fail(`unsupported pickle protocol ${bytes[pos - 1]}`); break; // PROTO
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length) fail(`corrupt pickle (STOP with ${stack.length} values on the stack)`);
        return { value: stack[0], end: pos };
      }
      case 0x28: // MARK
        if (marks.length >= MAX_MARKS) fail(`pickle nests more than ${MAX_MARKS} MARKs at byte ${pos - 1}`);
        marks.push(stack.length);
        break;
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4a: push(dv.getInt32(need(4), true)); break; // BININT
      case 0x4b: push(bytes[need(1)]); break; // BININT1
      case 0x4d: push(dv.getUint16(need(2), true)); break; // BININT2
      case 0x8a: push(long(bytes[need(1)])); break; // LONG1
      case 0x47: push(dv.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x58: push(text(dv.getUint32(need(4), true), 'utf-8')); break; // BINUNICODE
      case 0x55: push(text(bytes[need(1)], 'latin1')); break; // SHORT_BINSTRING (Python 2 str)
      case 0x7d: push(new PyDict()); break; // EMPTY_DICT
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x29: push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x74: push(new PyTuple(popMark())); break; // TUPLE
      case 0x85: push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); push(new PyTuple([pop(), b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); push(new PyTuple([pop(), b, c])); break; } // TUPLE3
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x71: memo.set(memoIndex(bytes[need(1)]), top()); break; // BINPUT
      case 0x72: memo.set(memoIndex(dv.getUint32(need(4), true)), top()); break; // LONG_BINPUT
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const k = op === 0x68 ? bytes[need(1)] : dv.getUint32(need(4), true);
        if (!memo.has(k)) fail(`corrupt pickle (memo ${k} is unset at byte ${pos})`);
        push(memo.get(k) as PyValue);
        break;
      }
      case 0x63: { const module = line(); push(global(module, line())); break; } // GLOBAL
      case 0x51: push(storageFromPid(pop())); break; // BINPERSID
      case 0x52: case 0x81: { // REDUCE f(*args), NEWOBJ cls.__new__(cls, *args)
        const args = pop();
        const f = pop();
        if (!(f instanceof PyGlobal) || !(args instanceof PyTuple)) fail(`corrupt pickle (call of ${typeName(f)} at byte ${pos - 1})`);
        if (op === 0x81 && `${f.module}.${f.name}` !== 'collections.OrderedDict') fail(`refusing to instantiate '${f.module}.${f.name}'`);
        push(call(f, args.items));
        break;
      }
      case 0x62: { // BUILD: only an OrderedDict's attributes (a state_dict's `_metadata`) are accepted
        const state = pop();
        const obj = top();
        if (!(obj instanceof PyDict) || !obj.ordered) fail(`refusing to BUILD a ${obj instanceof PyDict ? 'dict' : typeName(obj)}`);
        obj.attrs = state;
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}`);
    }
  }
}

/** Bytes a storage occupies in the file. */
export function storageBytes(s: StorageRef): number {
  return s.numel * ELEMENT_SIZE[s.dtype];
}
