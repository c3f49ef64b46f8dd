/**
 * ResNet configuration (JSON-serialisable) with validation that names the offending field. Two kinds: the CIFAR
 * pre-activation ResNet of He et al. 2016 ("Identity Mappings", depth 6n+2 basic / 9n+2 bottleneck) and
 * torchvision's ImageNet ResNet (He et al. 2015, Table 1: depth 18/34 basic, 50/101/152 bottleneck).
 * `depth` is an input shorthand only: the resolved config always lists `layers`.
 */

export type ResNetKind = 'cifar-preact' | 'imagenet';
export type ResNetBlockKind = 'basic' | 'bottleneck';

export interface ResNetConfig {
  /** 'cifar-preact': 3x3 stem, pre-act blocks, final BN-ReLU; 'imagenet': torchvision (7x7/2 stem, max pool, post-act) */
  kind: ResNetKind;
  /** basic: two 3x3 convs; bottleneck: 1x1, 3x3, 1x1 to 4x the stage width */
  block: ResNetBlockKind;
  /** residual blocks per stage; stage 1 keeps the resolution, every later stage halves it (stride 2) */
  layers: number[];
  /** channels per stage (a bottleneck block outputs 4x); the stem convolution outputs widths[0] */
  widths: number[];
  numClasses: number;
  inChannels: number;
}

export type ResNetConfigInput = Partial<ResNetConfig> & { depth?: number };

const KEYS = ['kind', 'block', 'layers', 'widths', 'numClasses', 'inChannels', 'depth'];
/** torchvision's resnet{18,34,50,101,152} */
const IMAGENET_DEPTHS: Record<number, [ResNetBlockKind, number[]]> = {
  18: ['basic', [2, 2, 2, 2]], 34: ['basic', [3, 4, 6, 3]], 50: ['bottleneck', [3, 4, 6, 3]],
  101: ['bottleneck', [3, 4, 23, 3]], 152: ['bottleneck', [3, 8, 36, 3]],
};
const DEFAULT_WIDTHS: Record<ResNetKind, number[]> = { 'cifar-preact': [16, 32, 64], imagenet: [64, 128, 256, 512] };

/** Convolutions + classifier on the longest path: 2 per basic block, 3 per bottleneck, plus stem and fc. */
export function resnetDepth(c: Pick<ResNetConfig, 'block' | 'layers'>): number {
  return c.layers.reduce((s, n) => s + n, 0) * (c.block === 'basic' ? 2 : 3) + 2;
}

function posInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`config: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function intList(name: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.length === 0) throw new Error(`config: ${name} must be a non-empty list of positive integers, got ${JSON.stringify(v)}`);
  return v.map((x) => posInt(name, x));
}

/** Layers from a depth: torchvision's table for 'imagenet', (depth - 2) / (convs per block * stages) per stage otherwise. */
function layersFromDepth(kind: ResNetKind, depth: number, block: ResNetBlockKind | undefined, stages: number): [ResNetBlockKind, number[]] {
  if (kind === 'imagenet') {
    const hit = IMAGENET_DEPTHS[depth];
    if (hit === undefined) throw new Error(`config: depth ${depth} is not a torchvision ResNet (18, 34, 50, 101, 152); give layers instead`);
    if (block !== undefined && block !== hit[0]) throw new Error(`config: block '${block}' contradicts depth ${depth} (ResNet-${depth} uses ${hit[0]} blocks)`);
    return [hit[0], [...hit[1]]];
  }
  const b = block ?? 'basic';
  const step = (b === 'basic' ? 2 : 3) * stages;
  if ((depth - 2) % step !== 0 || depth <= 2) {
    throw new Error(`config: depth ${depth} is not ${step}n+2, as a ${stages}-stage ${b} pre-act ResNet needs (e.g. ${step + 2}, ${2 * step + 2}, ${3 * step + 2})`);
  }
  return [b, new Array<number>(stages).fill((depth - 2) / step)];
}

/** Fills defaults and validates; throws `config: <field> ...` on the first bad field. */
export function resolveResNetConfig(input: ResNetConfigInput): ResNetConfig {
  if (typeof input !== 'object' || input === null) throw new Error('config: expected an object with ResNet options');
  for (const key of Object.keys(input)) {
    if (!KEYS.includes(key)) throw new Error(`config: unknown field '${key}' (known: ${KEYS.join(', ')})`);
  }
  const kind = input.kind;
  if (kind !== 'cifar-preact' && kind !== 'imagenet') throw new Error(`config: kind must be 'cifar-preact' or 'imagenet', got ${JSON.stringify(kind)}`);
  if (input.block !== undefined && input.block !== 'basic' && input.block !== 'bottleneck') {
    throw new Error(`config: block must be 'basic' or 'bottleneck', got ${JSON.stringify(input.block)}`);
  }
  const widths = input.widths === undefined ? undefined : intList('widths', input.widths);
  let block: ResNetBlockKind;
  let layers: number[];
  if (input.depth !== undefined) {
    const stages = widths?.length ?? input.layers?.length ?? DEFAULT_WIDTHS[kind].length;
    [block, layers] = layersFromDepth(kind, posInt('depth', input.depth), input.block, stages);
    if (input.layers !== undefined && JSON.stringify(intList('layers', input.layers)) !== JSON.stringify(layers)) {
      throw new Error(`config: layers ${JSON.stringify(input.layers)} contradict depth ${input.depth} (which means ${JSON.stringify(layers)}); give one of them`);
    }
  } else {
    if (input.layers === undefined) throw new Error('config: give layers (blocks per stage, e.g. [3,3,3]) or depth (e.g. 20)');
    layers = intList('layers', input.layers);
    block = input.block ?? 'basic';
  }
  const w = widths ?? DEFAULT_WIDTHS[kind];
  if (w.length !== layers.length) {
    throw new Error(`config: widths has ${w.length} entries but layers has ${layers.length} stages${widths === undefined ? ' (give widths)' : ''}`);
  }
  return {
    kind, block, layers, widths: [...w],
    numClasses: posInt('numClasses', input.numClasses ?? (kind === 'imagenet' ? 1000 : 10)),
    inChannels: posInt('inChannels', input.inChannels ?? 3),
  };
}
