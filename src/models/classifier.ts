/**
 * What the training loop, evaluation, summary and CLI need from a model: DenseNet and the ResNet baseline both
 * implement it. Inputs are NCHW tensors; the engine's channel-major layout stays inside.
 */
import type { Backend } from '../backend/backend.js';
import type { Workspace } from '../nn/context.js';
import type { Parameter } from '../nn/parameter.js';
import type { Tensor, Shape } from '../tensor/tensor.js';
import type { Rng } from '../tensor/rng.js';
import type { ForwardHooks, StepResult, TrainOptions } from './densenet.js';

export interface ImageClassifier {
  /** 'densenet' | 'resnet': which family, for checkpoints and tables */
  readonly family: string;
  /** the config object (JSON-serialisable) that rebuilds this model */
  readonly modelConfig: Readonly<Record<string, unknown>>;
  readonly numClasses: number;
  readonly inChannels: number;
  /** [C, H, W] the model is usually run at (224x224 for ImageNet stems, 32x32 for CIFAR ones) */
  readonly defaultInput: [number, number, number];
  readonly rng: Rng;
  training: boolean;
  forward(x: Tensor, backend: Backend, hooks?: ForwardHooks): Tensor;
  lossAndGrad(x: Tensor, labels: Int32Array, backend: Backend, opts?: TrainOptions): StepResult;
  namedParameters(): [string, Parameter][];
  namedState(): [string, Tensor][];
  stateDict(): Map<string, Tensor>;
  loadStateDict(state: ReadonlyMap<string, Tensor>, strict?: boolean, opts?: { adopt?: boolean }): void;
  numParameters(): number;
  train(mode?: boolean): this;
  eval(): this;
  checkInput(shape: Shape): [number, number, number, number];
  workspaceBytes(): number;
  useWorkspace(ws: Workspace): void;
  /** Eval mode: allocate and touch the workspace a forward of `shape` uses (classifier-base.ts). */
  reserveWorkspace(shape: Shape, backend: Backend): void;
}
