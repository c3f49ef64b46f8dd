/**
 * `densenet export`: writes a trained model as an ONNX file for ONNX Runtime, Triton and the like. The model
 * comes from --weights (a checkpoint, or plain weights with --arch/--config) or --pretrained, through
 * loadModelForUse; its class names and preprocessing go into the file's metadata (io/onnx/export.ts). The file
 * is written atomically (temp file, then rename). Prints one line: file, size, opset, node count.
 */
import { readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { checkOpset, DEFAULT_OPSET, exportOnnx } from '../io/onnx/export.js';
import { bytes } from './format.js';
import { loadModelForUse, type WeightsFlags } from './load-model.js';

export interface ExportFlags extends WeightsFlags {
  out: string;
  opset?: string;
  dynamicBatch?: boolean;
  inputSize?: string;
}

export async function runExport(flags: ExportFlags): Promise<void> {
  // flags are checked before the (possibly large) weights are read
  const opset = checkOpset(flags.opset !== undefined ? parseInteger('--opset', flags.opset) : DEFAULT_OPSET);
  const inputSize = flags.inputSize !== undefined ? parseSize(flags.inputSize) : undefined;
  const { model, arch, preprocessing, classNames } = await loadModelForUse(flags, 'export');
  const r = exportOnnx(model, {
    opset, dynamicBatch: flags.dynamicBatch === true, inputSize, arch, classNames, preprocessing, producerVersion: packageVersion(),
  });
  await writeAtomically(flags.out, r.bytes);
  process.stdout.write(`export: wrote ${flags.out} (${bytes(r.bytes.length)}, opset ${r.opset}, ${r.nodeCount} nodes, input [${r.inputShape.join(', ')}])\n`);
}

async function writeAtomically(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new Error(`${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function parseInteger(flag: string, v: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isInteger(x)) throw new Error(`${flag} expects an integer, got '${v}'`);
  return x;
}

function parseSize(s: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(s.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2] ?? m[1]) < 1) throw new Error(`--input-size expects H or HxW (e.g. 224 or 64x64), got '${s}'`);
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

/** This package's version (producer_version), from its package.json (two levels up from src/cli or dist/cli). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
