/**
 * The `densenet` command. Commands load lazily (a summary never loads the engine). Each subcommand parses its flags into the library's typed options and makes one
 * library call; any error becomes one line on stderr and exit code 1 (no stack traces for users; set
 * DENSENET_DEBUG=1 to see them).
 */
import { Command, CommanderError } from 'commander';
import type { InferFlags } from './infer.js';
import { addModelOptions } from './model-options.js';
import type { SummaryFlags } from './summary.js';

function fail(e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${msg.startsWith("densenet:") ? "" : "densenet: "}${msg.split('\n')[0]}\n`);
  if (process.env.DENSENET_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
}

export function buildProgram(): Command {
  const program = new Command('densenet')
    .description('DenseNets in TypeScript: define, inspect, load PyTorch weights, run')
    .showHelpAfterError('(run with --help for usage)')
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
      .description('logits for inputs in a safetensors file')
      .requiredOption('--input <file>', 'safetensors file with a float32 tensor `input` [N,C,H,W]')
      .requiredOption('--output <file>', 'safetensors file to write `logits` [N,classes] to')
      .option('--weights <file>', 'weights: .safetensors or PyTorch .pth (torchvision names); default: seeded init')
      .option('--batch-size <n>', 'images per forward pass')
      .option('--backend <name>', 'native | wasm | reference (default: the fastest that loads)')
      .option('--seed <n>', 'seed for the initialisation when no --weights are given', '0'),
  ).action(async (opts: InferFlags) => (await import('./infer.js')).runInfer(opts));

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
