/**
 * safetensors read/write: an 8-byte little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the data buffer.
 * Not lazy or memory-mapped: the whole file is in memory and every tensor is converted to float32.
 * The reader follows the format's rules strictly and throws FormatError otherwise: header <= 100 MB and inside
 * the file, a JSON object with no duplicate keys at any level (JSON.parse would keep the last one silently),
 * known dtypes, shapes of non-negative safe integers, byte length = elements x dtype size, offsets that tile the
 * data buffer exactly (no overlap, gap or trailing byte), __metadata__ string to string.
 * Format: https://github.com/huggingface/safetensors#format (the buffer is fully indexed, with no holes).
 */
import { Tensor, shapeSize, shapeStr } from '../tensor/tensor.js';
import { ELEMENT_SIZE, isDType, toFloat32, type DType } from './dtypes.js';
import { FormatError } from './format-error.js';

export interface WeightsContents {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

interface Entry { name: string; dtype: DType; shape: number[]; begin: number; end: number }

function fail(msg: string): never {
  throw new FormatError('safetensors', msg);
}

/** The format's own limit on the JSON header (safetensors' MAX_HEADER_SIZE). */
const MAX_HEADER = 100_000_000;
const MAX_RANK = 32;
const ENTRY_KEYS = new Set(['dtype', 'shape', 'data_offsets']);

/**
 * Throws on the first key that appears twice in one JSON object (at any depth). Runs on text JSON.parse has
 * accepted, so only strings, brackets and the ':' after a key need recognising.
 */
function rejectDuplicateKeys(text: string): void {
  const objects: (Set<string> | null)[] = []; // null for an array
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) objects.push(new Set());
    else if (c === 0x5b) objects.push(null);
    else if (c === 0x7d || c === 0x5d) objects.pop();
    else if (c === 0x22) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j])) j++;
      const keys = objects[objects.length - 1];
      if (text[j] !== ':' || !keys) continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      if (keys.has(key)) fail(`header has the key ${JSON.stringify(key)} twice in one object`);
      keys.add(key);
    }
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseEntry(name: string, v: unknown, dataLength: number): Entry {
  if (!isRecord(v)) fail(`header entry '${name}' is not an object`);
  const extra = Object.keys(v).find((k) => !ENTRY_KEYS.has(k));
  if (extra !== undefined) fail(`tensor '${name}' has an unknown field ${JSON.stringify(extra)}`);
  const { dtype, shape, data_offsets: offsets } = v;
  if (!isDType(dtype)) fail(`tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isCount) || shape.length > MAX_RANK) {
    fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  const dims = shape as number[];
  if (end > dataLength) {
    fail(`tensor '${name}' data_offsets [${begin},${end}] run past the end of the ${dataLength}-byte data buffer`);
  }
  const need = shapeSize(dims) * ELEMENT_SIZE[dtype]; // beyond 2^53 it is inexact, but then far above end - begin
  if (end - begin !== need) {
    fail(`tensor '${name}' needs ${need} bytes (${dtype} ${shapeStr(dims)}) but its offsets span ${end - begin}`);
  }
  return { name, dtype, shape: dims, begin, end };
}

function parseHeader(bytes: Uint8Array): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(`header length ${headerLength} exceeds the ${bytes.length - 8} bytes after it (truncated or not safetensors)`);
  }
  if (headerLength > BigInt(MAX_HEADER)) fail(`header length ${headerLength} exceeds the format's limit of ${MAX_HEADER} bytes`);
  if (headerLength < 2n || bytes[8] !== 0x7b) fail("header does not open with '{'");
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    fail('header is not valid UTF-8');
  }
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!isRecord(header)) fail('header is not a JSON object');
  rejectDuplicateKeys(text);
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name !== '__metadata__') {
      entries.push(parseEntry(name, v, dataLength));
      continue;
    }
    if (!isRecord(v)) fail('__metadata__ is not an object');
    for (const [k, s] of Object.entries(v)) {
      if (typeof s !== 'string') fail(`__metadata__ value for '${k}' is not a string`);
      metadata[k] = s;
    }
  }
  // The buffer must be covered exactly: overlaps, holes or trailing bytes mean a corrupt or truncated file.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < at && prev) {
      fail(`tensors '${prev.name}' and '${e.name}' overlap (bytes [${prev.begin},${prev.end}) and [${e.begin},${e.end}))`);
    }
    if (e.begin > at) fail(`data bytes [${at},${e.begin}) belong to no tensor`);
    at = e.end;
    prev = e;
  }
  if (at !== dataLength) fail(`data buffer has ${dataLength - at} bytes after the last tensor`);
  return { entries, metadata, dataStart };
}

export function readSafetensors(bytes: Uint8Array): WeightsContents {
  const { entries, metadata, dataStart } = parseHeader(bytes);
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors.set(e.name, new Tensor(toFloat32(raw, e.dtype, shapeSize(e.shape), 'safetensors', `tensor '${e.name}'`), e.shape));
  }
  return { tensors, metadata };
}

export interface WriteOptions {
  /** Names to store as I64 (e.g. BatchNorm's `num_batches_tracked`); their values must be integers. */
  int64?: (name: string) => boolean;
}

export function writeSafetensors(
  tensors: Map<string, Tensor> | Iterable<[string, Tensor]>, metadata: Record<string, string> = {}, opts: WriteOptions = {},
): Uint8Array {
  const list = [...tensors];
  const header: Record<string, unknown> = Object.create(null); // so a tensor named '__proto__' is just a name
  let offset = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__' || Object.prototype.hasOwnProperty.call(header, name)) fail(`cannot write tensor name '${name}' twice or as __metadata__`);
    const dtype: DType = opts.int64?.(name) ? 'I64' : 'F32';
    if (dtype === 'I64') {
      const bad = t.data.findIndex((v) => !Number.isInteger(v));
      if (bad >= 0) fail(`tensor '${name}' is to be written as I64 but holds ${t.data[bad]} at index ${bad}`);
    }
    const n = t.size * ELEMENT_SIZE[dtype];
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + n] };
    offset += n;
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') fail(`metadata value for '${k}' is not a string`);
  }
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8; // keeps the data buffer 8-byte aligned
  const out = new Uint8Array(8 + padded + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const [name, t] of list) {
    if ((header[name] as { dtype: DType }).dtype === 'I64') {
      for (let i = 0; i < t.size; i++, at += 8) dv.setBigInt64(at, BigInt(t.data[i]), true);
    } else {
      // at is a multiple of 4 (every size before it is); hosts are little-endian like the format
      new Float32Array(out.buffer, at, t.size).set(t.data);
      at += 4 * t.size;
    }
  }
  return out;
}
