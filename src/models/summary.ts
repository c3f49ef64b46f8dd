/**
 * Model summary: per-layer output shapes, parameters, MACs and activation memory, found by running the real
 * forward pass on a backend that validates shapes but computes nothing, so the table is what forward does.
 * MACs count convolution and linear multiply-accumulates only (torchvision's convention: 2.834 G for
 * DenseNet-121 at 224x224); batch norm, ReLU and pooling are not counted.
 */
import { dryRunBackend } from '../backend/dry-run.js';
import { Tensor } from '../tensor/tensor.js';
import type { TraceEvent } from '../nn/context.js';
import type { ImageClassifier } from './classifier.js';
import { DenseNet } from './densenet.js';

export interface SummaryRow {
  name: string;
  kind: string;
  /** NCHW output shape */
  out: [number, number, number, number];
  params: number;
  macs: number;
  /** bytes of the feature maps this row adds (float32) */
  activationBytes: number;
}

export interface BlockSummary {
  name: string;
  layers: number;
  /** L(L+1)/2 direct connections inside the block (Sec. 3) */
  connections: number;
  channelsIn: number;
  channelsOut: number;
  size: [number, number];
}

export interface ModelSummary {
  input: [number, number, number, number];
  params: number;
  macs: number;
  rows: SummaryRow[];
  blocks: BlockSummary[];
  /** floats of the engine's inference workspace for this input, in bytes */
  workspaceBytes: number;
}

/** Summarises `model` for an input of [batch, C, H, W]. Dense layers are one row each (their leaf ops summed). */
export function summarize(model: ImageClassifier, c: number, h: number, w: number, batch = 1): ModelSummary {
  const x = new Tensor(new Float32Array(batch * c * h * w), [batch, c, h, w]);
  const events: TraceEvent[] = [];
  const wasTraining = model.training;
  model.eval();
  model.forward(x, dryRunBackend, { trace: (e) => events.push(e) });
  model.train(wasTraining);

  const paramsUnder = (prefix: string): number =>
    model.namedParameters().reduce((s, [n, t]) => (n === prefix || n.startsWith(prefix + '.') ? s + t.size : s), 0);
  const rows: SummaryRow[] = [];
  const rowOf = new Map<string, SummaryRow>();
  for (const e of events) {
    if (e.kind === 'DenseBlock' || e.kind === 'ResidualBlock') continue;
    // group the leaf ops of a dense layer, a transition or a residual block into one row
    const m = /^(features\.(?:denseblock\d+\.denselayer\d+|transition\d+)|layer\d+\.\d+)\./.exec(e.path);
    const name = m ? m[1] : e.path;
    let row = rowOf.get(name);
    if (row === undefined) {
      const kind = name.includes('denselayer') ? 'DenseLayer' : name.includes('transition') ? 'Transition' : /^layer\d/.test(name) ? 'ResidualBlock' : e.kind;
      row = { name, kind, out: e.out, params: paramsUnder(name), macs: 0, activationBytes: 0 };
      rowOf.set(name, row);
      rows.push(row);
    }
    row.out = e.out;
    row.macs += e.macs;
  }
  for (const row of rows) row.activationBytes = 4 * row.out[0] * row.out[1] * row.out[2] * row.out[3];

  const dense = model instanceof DenseNet ? model.features.blocks : [];
  const blocks: BlockSummary[] = dense.map((b, i) => {
    const ev = events.find((e) => e.path === b.path && e.kind === 'DenseBlock');
    const L = b.layers.length;
    return {
      name: `denseblock${i + 1}`,
      layers: L,
      connections: (L * (L + 1)) / 2,
      channelsIn: b.inChannels,
      channelsOut: b.outChannels,
      size: ev ? [ev.out[2], ev.out[3]] : [0, 0],
    };
  });
  return {
    input: [batch, c, h, w],
    params: model.numParameters(),
    macs: rows.reduce((s, r) => s + r.macs, 0),
    rows,
    blocks,
    workspaceBytes: model.workspaceBytes(),
  };
}
