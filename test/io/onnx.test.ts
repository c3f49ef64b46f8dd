/**
 * ONNX export (src/io/onnx/): the exported file runs in onnxruntime-node and gives our logits (model.forward on
 * the default backend) within 1e-4 max abs, for ImageNet- and CIFAR-stem DenseNets and the ResNet baselines,
 * with random weights and randomised batch-norm statistics and affine parameters (so every BN is really
 * tested), static batch 1 and dynamic batch (run at 1 and 3), opsets 13, 17 and 21. The metadata reads back
 * with the same protobuf schema. densenet121 from test/fixtures/large/ is compared with PyTorch's logits too.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { getBackend } from '../../src/backend/select.js';
import { exportOnnx, irVersionFor, type OnnxExportOptions } from '../../src/io/onnx/export.js';
import { decodeModel } from '../../src/io/onnx/schema.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { readWeightsFile } from '../../src/io/weights-file.js';
import type { ImageClassifier } from '../../src/models/classifier.js';
import { DenseNet } from '../../src/models/densenet.js';
import { variantConfig } from '../../src/models/variants.js';
import { createResNet } from '../../src/models/variants-resnet.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { IMAGENET_PRESET, type PreprocessSpec } from '../../src/vision/preprocess-spec.js';
import { assertClose } from '../helpers/check.js';
import { FIXTURES } from '../helpers/fixtures.js';

const backend = await getBackend(undefined, () => {});

/** BN running statistics and affine parameters away from their init (mean 0, var 1, weight 1, bias 0). */
function randomiseBatchNorm(model: ImageClassifier, seed: number): void {
  const rng = new Rng(seed);
  for (const [name, t] of model.namedState()) {
    const d = t.data;
    if (name.endsWith('running_mean')) for (let i = 0; i < d.length; i++) d[i] = 0.2 * rng.normal();
    else if (name.endsWith('running_var')) for (let i = 0; i < d.length; i++) d[i] = 0.5 + rng.uniform();
    else if (/norm\d*\.weight$|bn\d*\.weight$|downsample\.1\.weight$/.test(name)) for (let i = 0; i < d.length; i++) d[i] = 0.8 + 0.4 * rng.uniform();
    else if (/(norm\d*|bn\d*|downsample\.1)\.bias$/.test(name)) for (let i = 0; i < d.length; i++) d[i] = 0.1 * rng.normal();
    else if (name === 'classifier.bias') for (let i = 0; i < d.length; i++) d[i] = 0.1 * rng.normal();
  }
}

function randomInput(shape: [number, number, number, number], seed: number): Tensor {
  const rng = new Rng(seed);
  return new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()), shape);
}

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `class ${i}`);
const spec = (c: number, h: number, w: number): PreprocessSpec => ({ resize: { mode: 'cover' }, inputSize: [c, h, w], mean: Array(c).fill(0.5), std: Array(c).fill(0.25) });

function options(model: ImageClassifier, h: number, w: number, extra: Partial<OnnxExportOptions> = {}): OnnxExportOptions {
  return { arch: null, classNames: names(model.numClasses), preprocessing: spec(model.inChannels, h, w), producerVersion: 'test', ...extra };
}

/** Runs the exported file on `x` and returns the logits and the session's input shape. */
async function runOnnx(bytes: Uint8Array, x: Tensor): Promise<{ logits: Float32Array; dims: readonly number[]; inputShape: readonly (number | string)[] }> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', x.data, [...x.shape]) });
    const meta = session.inputMetadata[0];
    return { logits: out.logits.data as Float32Array, dims: out.logits.dims, inputShape: meta.isTensor ? meta.shape : [] };
  } finally {
    await session.release();
  }
}

/** Exports `model` and checks ONNX Runtime's logits against ours for each batch size; returns a line of max abs diffs. */
async function checkAgainstOrt(label: string, model: ImageClassifier, h: number, w: number, opset: number, dynamicBatch: boolean, batches: number[]): Promise<string> {
  const seen: string[] = [];
  const r = exportOnnx(model, options(model, h, w, { opset, dynamicBatch }));
  for (const n of batches) {
    const x = randomInput([n, model.inChannels, h, w], 100 + n);
    const ours = model.forward(x, backend);
    const theirs = await runOnnx(r.bytes, x);
    assert.deepEqual([...theirs.dims], [n, model.numClasses], `${label}: logits shape`);
    assert.deepEqual([...theirs.inputShape], [dynamicBatch ? 'batch' : 1, model.inChannels, h, w], `${label}: input shape`);
    const rep = assertClose(theirs.logits, ours.data, `${label} batch ${n} (onnxruntime vs ${backend.name})`, 1e-4);
    seen.push(`batch ${n} ${rep.maxAbs.toExponential(1)}`);
  }
  return `${label}: max |onnxruntime - ours| ${seen.join(', ')}`;
}

const smallImagenet = (): DenseNet => {
  const m = new DenseNet({ blockConfig: [2, 3], growthRate: 8, initFeatures: 16, numClasses: 10, stem: 'imagenet' }, 3).eval();
  randomiseBatchNorm(m, 7);
  return m;
};
const smallCifar = (inChannels = 3, bottleneck = true): DenseNet => {
  const m = new DenseNet({ blockConfig: [2, 3], growthRate: 8, initFeatures: 16, numClasses: 7, stem: 'cifar', inChannels, bottleneck, compression: 0.5 }, 4).eval();
  randomiseBatchNorm(m, 8);
  return m;
};

for (const opset of [13, 17]) {
  test(`densenet imagenet stem blockConfig [2,3] k=8 3x64x64 opset ${opset}: static batch 1 and dynamic batch 1, 3 match onnxruntime`, async (t) => {
    const m = smallImagenet();
    t.diagnostic(await checkAgainstOrt(`imagenet opset ${opset} static`, m, 64, 64, opset, false, [1]));
    t.diagnostic(await checkAgainstOrt(`imagenet opset ${opset} dynamic`, m, 64, 64, opset, true, [1, 3]));
  });

  test(`densenet cifar stem blockConfig [2,3] k=8 3x32x32 opset ${opset}: static batch 1 and dynamic batch 1, 3 match onnxruntime`, async (t) => {
    const m = smallCifar();
    t.diagnostic(await checkAgainstOrt(`cifar opset ${opset} static`, m, 32, 32, opset, false, [1]));
    t.diagnostic(await checkAgainstOrt(`cifar opset ${opset} dynamic`, m, 32, 32, opset, true, [1, 3]));
  });
}

test('densenet cifar stem, 1 input channel, no bottleneck, 28x20 input, opset 21: matches onnxruntime', async (t) => {
  t.diagnostic(await checkAgainstOrt('cifar 1ch basic opset 21', smallCifar(1, false), 28, 20, 21, true, [2]));
});

test('resnet baselines export too: resnet20 (CIFAR pre-act) 3x32x32 and resnet18 (torchvision) 3x64x64 match onnxruntime', async (t) => {
  const r20 = createResNet('resnet20', { numClasses: 10 }, 5).eval();
  randomiseBatchNorm(r20, 9);
  t.diagnostic(await checkAgainstOrt('resnet20', r20, 32, 32, 17, true, [2]));
  const r18 = createResNet('resnet18', { numClasses: 5 }, 6).eval();
  randomiseBatchNorm(r18, 10);
  t.diagnostic(await checkAgainstOrt('resnet18', r18, 64, 64, 17, false, [1]));
});

test('metadata, opset and IR version, producer and the graph layout read back from the file', () => {
  const m = smallCifar();
  const pre: PreprocessSpec = { resize: { mode: 'short-side', shortSide: 36 }, inputSize: [3, 32, 32], mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6] };
  const classes = ['cat', 'dog', 'ünïcode "quoted"', 'd', 'e', 'f', 'g'];
  const r = exportOnnx(m, { arch: 'tiny', classNames: classes, preprocessing: pre, producerVersion: '9.9.9', opset: 13, dynamicBatch: true });
  const d = decodeModel(r.bytes);
  assert.equal(d.irVersion, irVersionFor(13));
  assert.equal(d.irVersion, 7);
  assert.deepEqual(d.opsetImport.map((o) => o.version), [13]);
  assert.equal(d.producerName, 'densenet-ts');
  assert.equal(d.producerVersion, '9.9.9');
  const meta = Object.fromEntries(d.metadataProps.map((p) => [p.key, p.value]));
  assert.deepEqual(JSON.parse(meta.classNames), classes);
  assert.deepEqual(JSON.parse(meta.preprocessing), pre);
  assert.equal(meta.arch, 'tiny');
  assert.equal(meta.family, 'densenet');
  assert.deepEqual(JSON.parse(meta.config), m.modelConfig);
  assert.deepEqual(d.graph.input.map((v) => v.name), ['input']);
  assert.deepEqual(d.graph.output.map((v) => v.name), ['logits']);
  assert.deepEqual(d.graph.output[0].type.tensorType.shape.dim, [{ dimParam: 'batch' }, { dimValue: 7 }]);
  // torchvision's order: a transition's conv comes before its pool; no Dropout; the stem is one conv
  const ops = d.graph.node.map((n) => n.opType);
  assert.equal(ops[0], 'Conv');
  assert.ok(!ops.includes('Dropout') && !ops.includes('MaxPool'));
  const t = d.graph.node.findIndex((n) => n.name === 'features.transition1.conv');
  assert.equal(d.graph.node[t + 1].opType, 'AveragePool');
  assert.deepEqual(ops.slice(-5), ['BatchNormalization', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm']);
  assert.equal(r.nodeCount, d.graph.node.length);
  // every state_dict tensor but num_batches_tracked is an initializer, as float32 raw data
  const init = new Map(d.graph.initializer.map((x) => [x.name, x]));
  for (const [name, tensor] of m.namedState()) {
    if (name.endsWith('num_batches_tracked')) continue;
    const x = init.get(name);
    assert.ok(x !== undefined, `initializer ${name} missing`);
    assert.deepEqual(x.dims, [...tensor.shape], `${name} dims`);
    assert.equal(x.dataType, 1);
    const raw = x.rawData;
    assert.deepEqual(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), tensor.data, `${name} data`);
  }
});

test('--input-size other than the preprocessing: input size in metadata follows, short-side resize keeps its ratio', () => {
  const m = smallImagenet();
  const r = exportOnnx(m, { arch: null, classNames: names(10), preprocessing: IMAGENET_PRESET, producerVersion: 't', inputSize: [280, 280] });
  const meta = Object.fromEntries(decodeModel(r.bytes).metadataProps.map((p) => [p.key, p.value]));
  assert.deepEqual(JSON.parse(meta.preprocessing), { ...IMAGENET_PRESET, resize: { mode: 'short-side', shortSide: 320 }, inputSize: [3, 280, 280] });
  assert.deepEqual(r.inputShape, [1, 3, 280, 280]);
});

test('bad options: opset 12 and 22, a non-integer opset, an input too small, class names of the wrong count are one-line errors', () => {
  const m = smallCifar();
  for (const opset of [12, 22, 17.5]) assert.throws(() => exportOnnx(m, options(m, 32, 32, { opset })), /onnx export: opset .* is not supported \(use 13\.\.21/);
  assert.throws(() => exportOnnx(m, options(m, 1, 1)), /too small/);
  assert.throws(() => exportOnnx(m, { ...options(m, 32, 32), classNames: ['a'] }), /1 class names for a model with 7 classes/);
});

const LARGE = FIXTURES + 'large/';
const skipLarge = existsSync(LARGE + 'densenet121.pth') && existsSync(LARGE + 'densenet121-io.safetensors')
  ? false : 'test/fixtures/large/densenet121.pth not generated (/usr/bin/python3 reference/make_fixtures.py --large)';

test('densenet121 (torchvision weights from test/fixtures/large): exported file matches our logits and PyTorch logits within 1e-4', { skip: skipLarge }, async (t) => {
  const model = new DenseNet(variantConfig('densenet121'), 0, { init: false });
  model.loadStateDict((await readWeightsFile(LARGE + 'densenet121.pth')).tensors);
  model.eval();
  const io = readSafetensors(readFileSync(LARGE + 'densenet121-io.safetensors')).tensors;
  const x = io.get('input')!;
  const r = exportOnnx(model, { arch: 'densenet121', classNames: names(1000), preprocessing: IMAGENET_PRESET, producerVersion: 't', dynamicBatch: true });
  const theirs = await runOnnx(r.bytes, x);
  const ours = assertClose(theirs.logits, model.forward(x, backend).data, 'densenet121 onnxruntime vs ours', 1e-4);
  const torch = assertClose(theirs.logits, io.get('logits')!.data, 'densenet121 onnxruntime vs PyTorch', 1e-4);
  t.diagnostic(`densenet121 [2,3,224,224]: max |onnxruntime - ours| ${ours.maxAbs.toExponential(1)}, max |onnxruntime - PyTorch| ${torch.maxAbs.toExponential(1)}`);
});
