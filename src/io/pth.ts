/**
 * torch.save files -> state_dict tensors (float32): the zip archive of PyTorch >= 1.6 (<folder>/data.pkl + data/<key>)
 * and the legacy stream (magic, protocol, sys_info, object pickle, storage keys, then int64 count + bytes per storage).
 * Not torch.load: no modules or code, only tensors in dicts. Format: torch/serialization.py (_save, _legacy_save), 1.13.
 */
import { Tensor, shapeSize, shapeStr } from '../tensor/tensor.js';
import { toFloat32 } from './dtypes.js';
import { FormatError } from './format-error.js';
import { MAX_ELEMENTS, PyDict, PyTuple, StorageRef, TensorRef, storageBytes, unpickle, type PyValue } from './pickle.js';
import { readZip } from './zip.js';

/** Returns the raw little-endian bytes of a root storage (view offsets are applied later). */
type StorageBytes = (s: StorageRef) => Uint8Array;

const LEGACY_MAGIC = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]; // LONG1 0x1950a86a20f9469cfc6c

function fail(msg: string): never {
  throw new FormatError('pth', msg);
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
}

/**
 * The legacy stream opens with a PROTO opcode and then (maybe after a FRAME) the magic number as LONG1.
 * A file too short to hold the magic but opening with PROTO counts too, so its error says "truncated pickle".
 */
export function isLegacyPth(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x80) return false;
  if (bytes.length < 24) return true;
  const head = bytes.subarray(0, 24);
  return head.findIndex((_, i) => LEGACY_MAGIC.every((b, j) => head[i + j] === b)) >= 0;
}

export function readPth(bytes: Uint8Array): Map<string, Tensor> {
  if (isZip(bytes)) return readZipPth(bytes);
  if (isLegacyPth(bytes)) return readLegacyPth(bytes);
  fail('not a torch.save file (neither a zip archive nor a legacy torch pickle)');
}

function readZipPth(bytes: Uint8Array): Map<string, Tensor> {
  const zip = readZip(bytes);
  const names = [...zip.entries.keys()];
  const pkls = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    fail(pkls.length ? `zip archive has ${pkls.length} '<folder>/data.pkl' entries` : "zip archive has no '<folder>/data.pkl' (not written by torch.save?)");
  }
  const pkl = pkls[0];
  const folder = pkl.slice(0, -'data.pkl'.length);
  // torch.save writes one folder; an entry elsewhere is something a scanner of data.pkl would not look at
  const stray = names.find((n) => !n.startsWith(folder));
  if (stray !== undefined) fail(`zip archive has entry '${stray}' outside its folder '${folder}'`);
  if (zip.has(`${folder}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${folder}byteorder`));
    if (order !== 'little') fail(`byteorder '${order}' is not supported (only little-endian files)`);
  }
  const pickle = zip.read(pkl);
  const { value, end } = unpickle(pickle);
  if (end !== pickle.length) fail('data.pkl has bytes after its STOP opcode');
  return extract(value, (s) => {
    const name = `${folder}data/${s.key}`;
    if (!zip.has(name)) fail(`storage '${s.key}' is missing from the archive (no '${name}')`);
    const data = zip.read(name);
    if (data.length !== storageBytes(s)) fail(`storage '${s.key}' has ${data.length} bytes but ${s.numel} ${s.dtype} elements need ${storageBytes(s)}`);
    return data;
  });
}

function readLegacyPth(bytes: Uint8Array): Map<string, Tensor> {
  const magic = unpickle(bytes, 0);
  if (magic.value !== 0x1950a86a20f9469cfc6cn) fail('invalid legacy magic number (corrupt file?)');
  const protocol = unpickle(bytes, magic.end);
  if (protocol.value !== 1001) fail(`unsupported legacy protocol version ${String(protocol.value)}`);
  const sysInfo = unpickle(bytes, protocol.end);
  if (!(sysInfo.value instanceof PyDict) || sysInfo.value.map.get('little_endian') !== true) {
    fail('legacy file is not little-endian (or its sys_info is corrupt)');
  }
  const main = unpickle(bytes, sysInfo.end);
  const keys = unpickle(bytes, main.end);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) fail('corrupt legacy storage key list');
  const roots = new Map<string, StorageRef>();
  collectStorages(main.value, roots);
  const data = new Map<string, Uint8Array>();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const s = roots.get(key);
    if (!s) fail(`legacy storage '${key}' is listed but never used`);
    if (pos + 8 > bytes.length) fail(`truncated legacy file (storage '${key}' header at byte ${pos})`);
    const count = dv.getBigInt64(pos, true);
    if (count !== BigInt(s.numel)) fail(`legacy storage '${key}' records ${count} elements but its pickle says ${s.numel}`);
    const n = storageBytes(s);
    if (pos + 8 + n > bytes.length) fail(`truncated legacy file (storage '${key}' needs ${n} bytes at byte ${pos + 8})`);
    data.set(key, bytes.subarray(pos + 8, pos + 8 + n));
    pos += 8 + n;
  }
  if (pos !== bytes.length) fail(`legacy file has ${bytes.length - pos} unexpected bytes after its last storage`);
  return extract(main.value, (s) => {
    const d = data.get(s.key);
    if (!d) fail(`storage '${s.key}' has no data in the file`);
    return d;
  });
}

/** Every storage reachable from v (iteratively: a hostile pickle may nest a million tuples deep). */
function collectStorages(root: PyValue, out: Map<string, StorageRef>): void {
  const seen = new Set<object>();
  const todo: PyValue[] = [root];
  for (let v = todo.pop(); v !== undefined; v = todo.pop()) {
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof StorageRef) {
      const prev = out.get(v.key);
      if (prev && (prev.dtype !== v.dtype || prev.numel !== v.numel)) fail(`storage '${v.key}' is used with two types or sizes`);
      out.set(v.key, v);
    } else if (v instanceof TensorRef) todo.push(v.storage);
    else if (v instanceof PyDict) for (const [k, x] of v.map) todo.push(k, x);
    else if (v instanceof PyTuple) for (const x of v.items) todo.push(x);
    else if (Array.isArray(v)) for (const x of v) todo.push(x);
  }
}

/** The state_dict itself, or a checkpoint's 'state_dict' / 'model' entry; every value must be a tensor. */
function extract(top: PyValue, storageBytesOf: StorageBytes): Map<string, Tensor> {
  if (!(top instanceof PyDict)) fail('file holds no dict of tensors');
  let sd = top;
  for (const k of ['state_dict', 'model']) {
    const v = top.map.get(k);
    if (v instanceof PyDict) { sd = v; break; }
  }
  const cache = new Map<string, Float32Array>();
  const out = new Map<string, Tensor>();
  for (const [k, v] of sd.map) {
    if (typeof k !== 'string') fail(`state_dict has a non-string key (${String(k)})`);
    if (!(v instanceof TensorRef)) {
      fail(`entry '${k}' is not a tensor (expected a state_dict, or a checkpoint with a 'state_dict' or 'model' entry)`);
    }
    const s = v.storage;
    const id = `${s.key}:${s.dtype}`;
    let data = cache.get(id);
    if (!data) {
      data = toFloat32(storageBytesOf(s), s.dtype, s.numel, 'pth', `storage '${s.key}'`);
      cache.set(id, data);
    }
    out.set(k, materialise(k, v, data));
  }
  return out;
}

/** A (possibly strided, offset) view of a storage as a contiguous tensor: a view of it when already contiguous, else a copy. */
function materialise(name: string, t: TensorRef, storage: Float32Array): Tensor {
  const { size, stride } = t;
  if (size.length !== stride.length) fail(`tensor '${name}' has size ${shapeStr(size)} but strides ${shapeStr(stride)}`);
  const n = shapeSize(size);
  if (n > MAX_ELEMENTS) fail(`tensor '${name}' ${shapeStr(size)} is too large`);
  const base = (t.storage.view?.offset ?? 0) + t.offset;
  const limit = t.storage.view?.numel ?? t.storage.numel;
  let last = t.offset;
  for (let d = 0; d < size.length; d++) last += (size[d] - 1) * stride[d];
  if (n > 0 && last >= limit) {
    fail(`tensor '${name}' ${shapeStr(size)} (offset ${t.offset}, strides ${shapeStr(stride)}) reaches element ${last} of a ${limit}-element storage`);
  }
  let contiguous = true;
  for (let d = size.length - 1, s = 1; d >= 0; s *= size[d], d--) if (size[d] !== 1 && stride[d] !== s) contiguous = false;
  if (contiguous) return new Tensor(storage.subarray(base, base + n), size);
  const out = new Float32Array(n);
  const rank = size.length;
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0, at = base; i < n; i++) {
    out[i] = storage[at];
    for (let d = rank - 1; d >= 0; d--) {
      at += stride[d];
      if (++idx[d] < size[d]) break;
      at -= size[d] * stride[d];
      idx[d] = 0;
    }
  }
  return new Tensor(out, size);
}
