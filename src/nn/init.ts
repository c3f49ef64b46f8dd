/**
 * Weight initialisation as torchvision's DenseNet does it: Kaiming-normal (fan-in, gain sqrt(2)) for
 * convolutions, BN weight 1 / bias 0, Linear with PyTorch's default uniform(+-1/sqrt(fan_in)) weight and zero bias.
 * Seeded with our own generator, so values differ from torch.manual_seed's (parity tests load torch weights).
 */
import type { Rng } from '../tensor/rng.js';

export function kaimingNormal(data: Float32Array, fanIn: number, rng: Rng): void {
  const std = Math.sqrt(2 / fanIn);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
}

export function uniform(data: Float32Array, bound: number, rng: Rng): void {
  for (let i = 0; i < data.length; i++) data[i] = (rng.uniform() * 2 - 1) * bound;
}
