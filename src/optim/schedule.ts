/**
 * Learning-rate schedules, evaluated per optimiser step: `multistep` (the paper, Sec. 4.2: divide by 10 at 50%
 * and 75% of the epochs, or at given milestones), `cosine` (to 0 over the run), `constant`; optional linear
 * warm-up over the first epochs, from lr/steps-per-warmup up to the base rate.
 */

export type ScheduleName = 'multistep' | 'cosine' | 'constant';
export const SCHEDULES: readonly ScheduleName[] = ['multistep', 'cosine', 'constant'];

export interface ScheduleOptions {
  name: ScheduleName;
  baseLr: number;
  epochs: number;
  stepsPerEpoch: number;
  warmupEpochs?: number;
  /** epochs at which multistep divides by `gamma` (default: 50% and 75% of `epochs`) */
  milestones?: number[];
  gamma?: number;
}

export function isScheduleName(s: string): s is ScheduleName {
  return (SCHEDULES as readonly string[]).includes(s);
}

/** Learning rate at optimiser step `step` (0-based, counted from the start of training). */
export function learningRate(o: ScheduleOptions, step: number): number {
  const total = o.epochs * o.stepsPerEpoch;
  const warm = Math.round((o.warmupEpochs ?? 0) * o.stepsPerEpoch);
  if (step < warm) return (o.baseLr * (step + 1)) / warm;
  switch (o.name) {
    case 'constant':
      return o.baseLr;
    case 'multistep': {
      // milestones in steps: 50% and 75% of the run (whole epochs when they divide evenly, as the paper's 150/225 of 300)
      const at = o.milestones?.map((e) => e * o.stepsPerEpoch) ?? [Math.floor(total * 0.5), Math.floor(total * 0.75)];
      const gamma = o.gamma ?? 0.1;
      return o.baseLr * gamma ** at.filter((m) => step >= m).length;
    }
    case 'cosine': {
      const t = (step - warm) / Math.max(1, total - warm);
      return 0.5 * o.baseLr * (1 + Math.cos(Math.PI * Math.min(1, t)));
    }
  }
}
