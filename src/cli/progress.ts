/**
 * Progress display for long jobs: a single redrawn line with a bar on a terminal; on a pipe or file, a plain
 * line every 10% of the work (or 30 s), so CI logs stay short and readable.
 */

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '--:--';
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export class Progress {
  private lastPlain = 0;
  private lastPlainFrac = -1;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr, private readonly tty = out.isTTY === true) {}

  /** Shows `label [bar] done/total  info`; `frac` in 0..1. */
  update(label: string, done: number, total: number, info: string): void {
    const frac = total > 0 ? done / total : 1;
    if (this.tty) {
      const width = 24;
      const fill = Math.round(frac * width);
      const bar = '='.repeat(Math.max(0, fill - 1)) + (fill > 0 ? (fill === width ? '=' : '>') : '') + ' '.repeat(width - fill);
      const line = `${label} [${bar}] ${done}/${total}  ${info}`;
      const cols = this.out.columns ?? 120;
      this.out.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}\x1b[K`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (done === total || frac - this.lastPlainFrac >= 0.1 || now - this.lastPlain >= 30_000) {
      this.out.write(`${label} ${done}/${total}  ${info}\n`);
      this.lastPlain = now;
      this.lastPlainFrac = frac;
    }
  }

  /** Ends the current line (terminal) so the next output starts clean. */
  done(): void {
    if (this.tty && this.drawn) this.out.write('\n');
    this.drawn = false;
    this.lastPlainFrac = -1;
  }

  log(msg: string): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[K');
    this.out.write(msg + '\n');
    this.drawn = false;
  }
}
