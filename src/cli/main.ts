/**
 * The `densenet` command. Commands load lazily (a summary never loads the engine). Each subcommand parses its flags into the library's typed options and makes one
 * library call; any error becomes one line on stderr and exit code 1 (no stack traces for users; set
 * DENSENET_DEBUG=1 to see them).
 */
import { Command, CommanderError } from 'commander';
import type { InferFlags } from './infer.js';
import { addModelOptions } from './model-options.js';
import { packageVersion } from './version.js';
import { PRETRAINED_NAMES } from './pretrained-names.js';
import type { CompareFlags } from './compare.js';
import type { EvalFlags } from './eval.js';
import type { ExportFlags } from './export.js';
import type { EmbedFlags } from './embed.js';
import type { PredictFlags } from './predict.js';
import type { GradcamFlags } from './gradcam.js';
import type { SummaryFlags } from './summary.js';
import type { TrainFlags } from './train.js';

function fail(e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${msg.startsWith("densenet:") ? "" : "densenet: "}${msg.split('\n')[0]}\n`);
  if (process.env.DENSENET_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
}

/** The flags of `train`, and of `compare`, which trains each model the same way. */
function addTrainOptions(cmd: Command): Command {
  return addModelOptions(
    cmd
      .requiredOption('--data <spec>', 'fashion-mnist | idx:DIR | cifar10:DIR | cifar100:DIR | an image folder DIR')
      .option('--epochs <n>', 'epochs', '40')
      .option('--batch-size <n>', 'batch size', '64')
      .option('--lr <x>', 'base learning rate', '0.1')
      .option('--momentum <x>', 'SGD momentum', '0.9')
      .option('--nesterov', 'Nesterov momentum (the paper; default)', true)
      .option('--no-nesterov', 'plain momentum')
      .option('--weight-decay <x>', 'coupled L2 weight decay (the paper: 1e-4)', '1e-4')
      .option('--decay-bn-bias', 'also decay batch-norm parameters and biases (default: not)', false)
      .option('--schedule <name>', 'multistep (divide by 10 at 50% and 75%) | cosine | constant', 'multistep')
      .option('--warmup-epochs <x>', 'linear learning-rate warm-up', '0')
      .option('--augment', 'random crop (zero padding, see --augment-pad) and horizontal flip', false)
      .option('--augment-pad <n>', 'pixels of padding for the random crop (0: flips only)', '4')
      .option('--val-split <fraction>', 'hold out this fraction of the training set for validation (default: use the test split)', '0')
      .option('--seed <n>', 'seed for initialisation, shuffling, augmentation and dropout', '0')
      .option('--max-steps <n>', 'stop after this many optimiser steps (smoke runs)')
      .option('--out <dir>', 'output folder', 'runs/train')
      .option('--resume <file>', 'continue from OUT/last.safetensors exactly')
      .option('--backend <name>', 'native | wasm | reference')
      .option('--memory-efficient', 'recompute BN-ReLU outputs in backward: memory linear in depth (default)', true)
      .option('--no-memory-efficient', 'keep every BN-ReLU output (more memory, same numbers)')
      .option('--input-size <HxW>', "image folders: the size images are resized to (default: the images' own when all share one, else 224)")
      .option('--limit <n>', 'use a seeded sample of at most n training and n validation images (smoke runs)')
      .option('--max-memory <size>', 'largest batch (up to --batch-size) whose planned training memory fits, e.g. 4GB')
      .option('--save-every <n>', 'also save OUT/last.safetensors every n steps (default: each epoch)')
      .option('--clip-grad-norm <x>', "clip the gradients' total L2 norm to x (torch.nn.utils.clip_grad_norm_)"),
  );
}

/** Where a using command's model comes from: a file, or torchvision's published weights (loaded by load-model.ts). */
function addWeightsOptions(cmd: Command): Command {
  return cmd
    .option('--weights <file>', 'a checkpoint from `densenet train`, or weights (.pth, .safetensors) with --arch/--config')
    .option('--pretrained <name>', `torchvision's ImageNet weights, downloaded once into $DENSENET_HOME: ${PRETRAINED_NAMES.join(', ')}`);
}

export function buildProgram(): Command {
  const program = new Command('densenet')
    .description('DenseNets in TypeScript: define, inspect, load PyTorch weights, run')
    .showHelpAfterError('(run with --help for usage)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride();

  program
    .command('list')
    .description('the named DenseNet variants with parameters and MACs')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => (await import('./list.js')).runList(opts));

  addModelOptions(
    program
      .command('summary')
      .description('per-layer table: output shapes, params, MACs, activation memory; dense block connectivity')
      .argument('[name]', 'a named variant (see `densenet list`)')
      .option('--input <CxHxW>', 'input size, default 3x224x224 (ImageNet stem) or 3x32x32 (CIFAR stem)')
      .option('--batch-size <n>', 'batch size for MACs and memory', '1')
      .option('--json', 'print one JSON object (params, macs, rows, blocks)'),
    false,
  ).action(async (name: string | undefined, opts: SummaryFlags) => (await import('./summary.js')).runSummary(name, opts));

  addModelOptions(
    program
      .command('infer')
      .description('logits for inputs in a safetensors file, or for images (JPEG/PNG/WebP files or folders)')
      .argument('[images...]', 'image files or folders (instead of --input), preprocessed as predict does')
      .option('--input <file>', 'safetensors file with a float32 tensor `input` [N,C,H,W]')
      .requiredOption('--output <file>', 'safetensors file to write `logits` [N,classes] to')
      .option('--weights <file>', 'weights: .safetensors or PyTorch .pth (torchvision names); default: seeded init')
      .option('--pretrained <name>', "torchvision's ImageNet weights: densenet121 | densenet169 | densenet201 | densenet161 (downloaded once into $DENSENET_HOME)")
      .option('--batch-size <n>', 'images per forward pass')
      .option('--backend <name>', 'native | wasm | reference (default: the fastest that loads)')
      .option('--seed <n>', 'seed for the initialisation when no --weights are given', '0')
      .option('--timing', 'images: print where the time went (start-up, weights, preprocessing, forward, write) to stderr'),
  ).action(async (images: string[], opts: InferFlags) => (images.length > 0 && opts.input === undefined
    ? (await import('./infer-images.js')).runInferImages(images, opts) // not through infer.ts: its imports would delay the image worker
    : (await import('./infer.js')).runInfer(images, opts)));

  addTrainOptions(
    program
      .command('train')
      .description('train a model; progress per epoch, OUT/metrics.jsonl, OUT/{last,best}.safetensors, OUT/curves.svg')
      .option('--finetune <file>', 'start from these weights: a densenet-ts checkpoint, or plain/torchvision weights with --arch')
      .option('--pretrained <name>', "start from torchvision's ImageNet weights: densenet121 | densenet169 | densenet201 | densenet161")
      .option('--freeze <part>', "fine-tuning: 'features' trains only the classifier (backbone in eval mode, no gradients)")
      .option('--backbone-lr <x>', "fine-tuning: the backbone's learning rate as a multiple of --lr (e.g. 0.1)"),
  ).action(async (opts: TrainFlags) => (await import('./train.js')).runTrain(opts));

  addTrainOptions(
    program
      .command('compare')
      .description('train several models with the same recipe; one table of params, MACs, accuracy, speed, memory')
      .requiredOption('--archs <list>', 'comma-separated models, e.g. densenet-bc-100,resnet56')
      .option('--json', 'print the rows as JSON'),
  ).action(async (opts: CompareFlags) => (await import('./compare.js')).runCompare(opts));

  addModelOptions(addWeightsOptions(
    program
      .command('eval')
      .description('top-1, top-5 and loss of a checkpoint (or weights with --arch) on a data set')
      .requiredOption('--data <spec>', 'fashion-mnist | idx:DIR | cifar10:DIR | cifar100:DIR | an image folder DIR')
      .option('--split <name>', 'test or train', 'test')
      .option('--batch-size <n>', 'batch size', '128')
      .option('--backend <name>', 'native | wasm | reference')
      .option('--json', 'print {"top1", "top5", "loss", "n"} (fractions in 0..1)'),
  )).action(async (opts: EvalFlags) => (await import('./eval.js')).runEval(opts));

  addModelOptions(addWeightsOptions(
    program
      .command('export')
      .description('write the model as an ONNX file (class names and preprocessing in its metadata)')
      .requiredOption('--out <file.onnx>', 'the ONNX file to write')
      .option('--opset <n>', 'ONNX opset version, 13..21', '17')
      .option('--dynamic-batch', "a symbolic batch dimension 'batch' (default: batch 1)")
      .option('--input-size <HxW>', "input height and width (default: the model's own)"),
  )).action(async (opts: ExportFlags) => (await import('./export.js')).runExport(opts));

  addModelOptions(addWeightsOptions(
    program
      .command('predict')
      .description('top-k classes of images (JPEG/PNG/WebP files or folders, searched recursively)')
      .argument('<paths...>', 'image files or folders')
      .option('--topk <k>', 'classes shown per image', '5')
      .option('--batch-size <n>', 'images per forward pass', '8')
      .option('--json', 'one JSON object per line per image: {"file", "top": [{"index", "label", "prob"}]}')
      .option('--backend <name>', 'native | wasm | reference'),
  )).action(async (paths: string[], opts: PredictFlags) => (await import('./predict.js')).runPredict(paths, opts));

  addModelOptions(addWeightsOptions(
    program
      .command('embed')
      .description('pre-logits embeddings [N, C] of images, with the file names, to a safetensors file')
      .argument('<paths...>', 'image files or folders')
      .requiredOption('--out <file>', 'safetensors file to write `embeddings` to')
      .option('--batch-size <n>', 'images per forward pass', '8')
      .option('--backend <name>', 'native | wasm | reference'),
  )).action(async (paths: string[], opts: EmbedFlags) => (await import('./embed.js')).runEmbed(paths, opts));

  addModelOptions(addWeightsOptions(
    program
      .command('gradcam')
      .description('Grad-CAM: the image with the heat map of one class (from the last dense block) over it, as PNG')
      .argument('<image>', 'a JPEG, PNG or WebP file')
      .option('--class <c>', 'the class index to explain (default: the predicted class)')
      .option('--alpha <x>', 'opacity of the heat map over the image, 0..1', '0.5')
      .option('--out <file>', 'the PNG to write')
      .option('--backend <name>', 'native | wasm | reference'),
  )).action(async (image: string, opts: GradcamFlags) => (await import('./gradcam.js')).runGradcam(image, opts));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    fail(e);
  }
}

await main(process.argv);
