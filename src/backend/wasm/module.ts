/**
 * The wasm module and its memory: instantiates build/densenet.wasm (csrc/ compiled by scripts/build-wasm.mjs)
 * from bytes or a compiled module, and manages one linear memory as a per-call bump arena that grows when a
 * call needs more than any call before it and is reused otherwise (DESIGN.md: never allocate per op).
 * Browser-safe: no Node imports; where the bytes come from (a file, fetch) is the caller's business.
 */
import type { F32 } from '../backend.js';

/** The module's exports (csrc/wasm_exports.c). Pointers are byte offsets into memory; sizes are counts. */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  dn_scratch_floats(): number;
  dn_gemm(transA: number, transB: number, m: number, n: number, k: number, a: number, b: number, beta: number, c: number, scratch: number): void;
  dn_conv2d(n: number, cin: number, h: number, w: number, cout: number, kh: number, kw: number, stride: number, pad: number,
    ho: number, wo: number, x: number, weight: number, bias: number, y: number, scratch: number,
    preScale: number, preShift: number, preRelu: number): void;
  dn_linear(n: number, inF: number, outF: number, x: number, w: number, b: number, y: number, scratch: number): void;
  dn_scale_shift(c: number, s: number, x: number, scale: number, shift: number, relu: number, y: number): void;
  dn_channel_stats(c: number, s: number, x: number, mean: number, variance: number): void;
  dn_relu(size: number, x: number, y: number): void;
  dn_dropout(size: number, x: number, keep: number, q: number, y: number): void;
  dn_max_pool(c: number, n: number, h: number, w: number, k: number, stride: number, pad: number, ho: number, wo: number, x: number, y: number,
    preScale: number, preShift: number, preRelu: number): void;
  dn_avg_pool(c: number, n: number, h: number, w: number, k: number, stride: number, pad: number, ho: number, wo: number, x: number, y: number,
    preScale: number, preShift: number, preRelu: number): void;
  dn_global_avg_pool(c: number, n: number, hw: number, x: number, y: number): void;
  dn_softmax(rows: number, k: number, x: number, y: number): void;
  /** Winograd 3x3 convolutions on (1) or off (0) for the calls that follow (wasm_exports.c; absent in older builds) */
  dn_set_winograd?(on: number): void;
}

const PAGE = 65536;
const ALIGN = 64; // a cache line; the kernels' aligned vector loads need 16
const MAX_BYTES = 65536 * PAGE; // wasm32: 4 GiB
const align = (v: number): number => Math.ceil(v / ALIGN) * ALIGN;

/**
 * Linear memory as [stack | data | GEMM scratch | kept blocks | per-call arena]. A call reserves the bytes it
 * needs, copies its inputs in with put(), takes output space with take(), runs, and copies results out with
 * get(); the next call starts again at the arena base. Growing detaches the old ArrayBuffer, so views are refreshed.
 * A shared memory (the threaded module) also hands out kept blocks (alloc): arrays that live in linear memory
 * for good (a grow never detaches a SharedArrayBuffer), which input() and output() pass to the kernels by
 * address instead of copying. An eval-mode workspace holds its feature maps there (Backend.alloc), so DenseNet's
 * concatenated features are never copied in or out: DenseNet-121 batch 1 copies 33 MB per pass (the weights)
 * instead of 125 (97 MB in, 28 MB out), on the calling thread while workers wait. Node, 1 thread, process CPU
 * time, medians of 15, loaded machine: 0.98x the single-threaded module's time (bench/wasm-profile.ts shows the
 * copies). Weights kept here too (a hack, not kept) gave another 0.98x at 1 thread.
 * Kept blocks are never freed: a workspace slot only grows, so a run leaks at most the sizes it outgrew.
 */
export class WasmMemory {
  readonly scratch: number;
  private base: number;
  private top = 0;
  private f32: Float32Array;
  private u8: Uint8Array;
  /** every buffer object this memory had (a shared memory gives a new one per grow; arrays keep the old) */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private readonly shared: boolean;

  /** maxBytes: growth past this is refused (4 GiB, or less for a shared memory created with a lower maximum). */
  constructor(private readonly memory: WebAssembly.Memory, heapBase: number, scratchFloats: number,
    private readonly maxBytes = MAX_BYTES) {
    this.scratch = align(heapBase);
    this.base = align(this.scratch + 4 * scratchFloats);
    this.f32 = new Float32Array(memory.buffer);
    this.u8 = new Uint8Array(memory.buffer);
    this.buffers.add(this.f32.buffer);
    this.shared = typeof SharedArrayBuffer !== 'undefined' && this.f32.buffer instanceof SharedArrayBuffer;
    this.reserve('', 0);
  }

  /**
   * A zeroed array of `n` floats kept in linear memory (below the arena, which moves up past it), or null if
   * this memory is not shared (growing would detach it) or cannot grow that far. Only between calls.
   */
  alloc(n: number): Float32Array | null {
    if (!this.shared || !(Number.isInteger(n) && n >= 0)) return null;
    const p = this.base;
    const base = align(p + 4 * n);
    if (base + ALIGN * 8 > this.maxBytes) return null;
    this.base = base;
    try {
      this.reserve('alloc', 0);
    } catch {
      this.base = p;
      return null;
    }
    return new Float32Array(this.f32.buffer, p, n).fill(0);
  }

  /** Address of `a` if it lies in this memory (a kept block), else -1. */
  private addr(a: F32): number {
    return this.buffers.has(a.buffer) ? a.byteOffset : -1;
  }

  /** An input the kernel only reads: its own address when kept in this memory, else a copy in the arena. */
  input(src: F32): number {
    const p = this.addr(src);
    return p >= 0 ? p : this.put(src);
  }

  /**
   * Where the kernel writes `y`: y itself when kept in this memory and apart from every input that was copied
   * or not (`inputs`), else arena space; finish with result().
   */
  output(y: F32, ...inputs: (F32 | null)[]): number {
    const p = this.addr(y);
    const apart = (x: F32 | null): boolean => {
      const q = x === null ? -1 : this.addr(x); // an input not kept here was copied: it cannot meet y
      return q < 0 || x === null || q >= p + y.byteLength || p >= q + x.byteLength;
    };
    return p >= 0 && inputs.every(apart) ? p : this.take(y.length);
  }

  /** Copies an output at address p out into y, unless the kernel wrote y in place (output()). */
  result(p: number, y: F32): void {
    if (p !== this.addr(y)) this.get(p, y);
  }

  /** Bytes of linear memory now (for tests: growth happens once, not per call). */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Starts a call of `op` that needs `floats` floats of arena (plus alignment per array); grows memory if short. */
  reserve(op: string, floats: number, arrays = 8): void {
    const need = this.base + 4 * floats + ALIGN * arrays;
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      if (need > this.maxBytes) {
        const max = this.maxBytes === MAX_BYTES ? "wasm32's 4 GiB" : `the configured maximum of ${this.maxBytes} bytes`;
        throw new Error(`wasm${op === '' ? '' : ` ${op}`}: needs ${need} bytes (${(need / 2 ** 30).toFixed(2)} GiB) of memory, over ${max}`);
      }
      // grow by at least a quarter so a run whose sizes creep up does not grow on every call
      const want = Math.min(this.maxBytes, Math.max(need, Math.floor(have * 1.25)));
      try {
        this.memory.grow(Math.ceil((want - have) / PAGE));
      } catch (e) {
        throw new Error(`wasm${op === '' ? '' : ` ${op}`}: growing memory to ${want} bytes for ${need} failed (${(e as Error).message})`);
      }
      this.f32 = new Float32Array(this.memory.buffer);
      this.u8 = new Uint8Array(this.memory.buffer);
      this.buffers.add(this.f32.buffer);
    }
    this.top = this.base;
  }

  /** Space for `n` floats in the arena; returns its byte address. */
  take(n: number): number {
    const p = this.top;
    this.top = align(p + 4 * n);
    return p;
  }

  /** Space for `n` floats in the arena, zeroed; returns its byte address. */
  zeros(n: number): number {
    const p = this.take(n);
    this.f32.fill(0, p >>> 2, (p >>> 2) + n);
    return p;
  }

  /** Copies src into the arena; returns its address. */
  put(src: F32): number {
    const p = this.take(src.length);
    this.f32.set(src, p >>> 2);
    return p;
  }

  /** put() for an optional argument: null becomes the C null pointer (address 0 lies in the stack, never in the arena). */
  putOpt(src: F32 | null): number {
    return src === null ? 0 : this.put(src);
  }

  /** Copies bytes (a dropout keep-mask) into the arena. */
  putBytes(src: Uint8Array): number {
    const p = this.top;
    this.top = align(p + src.length);
    this.u8.set(src, p);
    return p;
  }

  /** Copies dst.length floats at address p out into dst. */
  get(p: number, dst: F32): void {
    dst.set(this.f32.subarray(p >>> 2, (p >>> 2) + dst.length));
  }

  /** Reads one float at address p. */
  at(p: number): number {
    return this.f32[p >>> 2];
  }
}

export interface WasmInstance {
  readonly exports: KernelExports;
  readonly mem: WasmMemory;
}

/** Instantiates the kernels from the .wasm bytes (or a compiled module). The module imports nothing. */
export async function instantiate(source: BufferSource | WebAssembly.Module): Promise<WasmInstance> {
  const instance = source instanceof WebAssembly.Module
    ? await WebAssembly.instantiate(source, {})
    : (await WebAssembly.instantiate(source, {})).instance;
  const exports = instance.exports as unknown as KernelExports;
  for (const name of ['memory', '__heap_base', 'dn_scratch_floats', 'dn_gemm', 'dn_conv2d', 'dn_softmax'] as const) {
    if (!(name in exports)) throw new Error(`wasm module lacks the export ${name} (rebuild with node scripts/build-wasm.mjs)`);
  }
  const heapBase = Number(exports.__heap_base.value);
  return { exports, mem: new WasmMemory(exports.memory, heapBase, exports.dn_scratch_floats()) };
}
