/**
 * The ResNet baselines' inference graph, walked from the model's own modules (models/resnet.ts,
 * resnet-block.ts, resnet-preact-block.ts) with the same builder as DenseNet:
 *   torchvision's ResNet (post-activation, He et al. 2015): conv1 -> bn1 -> relu -> maxpool, then per block
 *     conv-bn-relu ... conv-bn, + identity or downsample (conv1x1-bn), Relu;
 *   the CIFAR pre-activation ResNet (He et al. 2016): conv1, then per block bn-relu-conv ..., + identity or the
 *     1x1 `shortcut` of the first pre-activation; a final bn -> relu;
 *   head: GlobalAveragePool -> Flatten -> Gemm (fc) -> `logits`.
 */
import { PostActBlock } from '../../models/resnet-block.js';
import { PreActBlock } from '../../models/resnet-preact-block.js';
import type { ResNet } from '../../models/resnet.js';
import type { GraphBuilder } from './graph-builder.js';

/** Adds `model`'s nodes reading `input` [N, C, H, W]; returns the logits value name. */
export function resNetGraph(g: GraphBuilder, model: ResNet, input: string, output: string): string {
  let x = g.conv(model.conv1, input);
  if (model.bn1 !== null && model.maxpool !== null) x = g.maxPool(model.maxpool, g.relu('relu', g.batchNorm(model.bn1, x)));
  for (const block of model.blocks) {
    const p = block.path;
    if (block instanceof PostActBlock) {
      let h = x;
      block.convs.forEach((conv, i) => {
        h = g.batchNorm(block.bns[i], g.conv(conv, h));
        if (i < block.convs.length - 1) h = g.relu(`${p}.relu${i + 1}`, h);
      });
      const ds = block.downsample;
      const shortcut = ds === null ? x : g.batchNorm(ds.bn, g.conv(ds.conv, x));
      x = g.relu(`${p}.relu`, g.add(`${p}.add`, h, shortcut));
    } else if (block instanceof PreActBlock) {
      let h = x;
      let a0 = x;
      block.convs.forEach((conv, i) => {
        const a = g.relu(`${p}.relu${i + 1}`, g.batchNorm(block.bns[i], h));
        if (i === 0) a0 = a;
        h = g.conv(conv, a);
      });
      x = g.add(`${p}.add`, h, block.shortcut === null ? x : g.conv(block.shortcut, a0));
    } else {
      throw new Error(`onnx export: ${p} is a residual block of a kind the exporter does not know`);
    }
  }
  if (model.bn !== null) x = g.relu('bn.relu', g.batchNorm(model.bn, x));
  return g.linear(model.fc, g.globalAvgPool(x), output);
}
