/**
 * `densenet export`: writes a trained model as an ONNX file for ONNX Runtime, Triton and the like. The model
 * comes from --weights (a checkpoint, or plain weights with --arch/--config) or --pretrained, through
 * loadModelForUse; its class names and preprocessing go into the file's metadata (io/onnx/export.ts). The file
 * is written atomically (temp file, then rename). Prints one line: file, size, opset, node count.
 */
import { writeFileAtomic } from '../io/atomic-file.js';
import { checkOpset, DEFAULT_OPSET, exportOnnx } from '../io/onnx/export.js';
import { bytes } from './format.js';
import { loadModelForUse, type WeightsFlags } from './load-model.js';
import { packageVersion } from './version.js';

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
  await writeFileAtomic(flags.out, r.bytes);
  process.stdout.write(`export: wrote ${flags.out} (${bytes(r.bytes.length)}, opset ${r.opset}, ${r.nodeCount} nodes, input [${r.inputShape.join(', ')}])\n`);
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
