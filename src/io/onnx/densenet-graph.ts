/**
 * A DenseNet's inference graph in torchvision's order, walked from the model's own modules (models/densenet.ts
 * Features, dense-block.ts, dense-layer.ts), not from a second definition of the architecture:
 *   stem: conv0 [-> norm0 -> relu0 -> pool0] (the CIFAR stem is conv0 alone),
 *   dense layer l: Concat(x_0, ..., x_{l-1}) -> norm1 -> relu1 -> conv1 [-> norm2 -> relu2 -> conv2] (Eq. 2),
 *   block output: Concat of the block input and every layer's k new channels,
 *   transition: norm -> relu -> conv -> AveragePool (the paper's and torchvision's order; the engine pools first,
 *     which is the same map up to rounding since both are linear),
 *   head: norm5 -> Relu -> GlobalAveragePool -> Flatten -> Gemm (classifier) -> `logits`.
 * Dropout is left out: this is the inference graph.
 */
import type { DenseNet } from '../../models/densenet.js';
import type { GraphBuilder } from './graph-builder.js';

/** Adds `model`'s nodes reading `input` [N, C, H, W]; returns the logits value name. */
export function denseNetGraph(g: GraphBuilder, model: DenseNet, input: string, output: string): string {
  const f = model.features;
  let x = g.conv(f.conv0, input);
  if (f.norm0 !== null && f.relu0 !== null && f.pool0 !== null) {
    x = g.maxPool(f.pool0, g.relu(f.relu0.path, g.batchNorm(f.norm0, x)));
  }
  f.blocks.forEach((block, i) => {
    const features = [x];
    for (const layer of block.layers) {
      const cat = g.concat(`${layer.path}.cat`, features);
      let y = g.conv(layer.conv1, g.relu(layer.relu1.path, g.batchNorm(layer.norm1, cat)));
      if (layer.conv2 !== null && layer.norm2 !== null && layer.relu2 !== null) {
        y = g.conv(layer.conv2, g.relu(layer.relu2.path, g.batchNorm(layer.norm2, y)));
      }
      features.push(y);
    }
    x = g.concat(`${block.path}.cat`, features);
    const t = f.transitions[i];
    if (t !== undefined) x = g.avgPool(t.pool, g.conv(t.conv, g.relu(t.relu.path, g.batchNorm(t.norm, x))));
  });
  // torchvision's forward: F.relu(features), adaptive_avg_pool2d to 1x1, flatten, classifier
  x = g.relu('relu', g.batchNorm(f.norm5, x));
  return g.linear(model.classifier, g.globalAvgPool(x), output);
}
