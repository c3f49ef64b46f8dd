/**
 * Download progress on stderr, in the look of cli/progress.ts: on a terminal one redrawn line with a bar,
 * megabytes and speed; on a pipe or a log file a few plain lines (every quarter of the file, or every 30 s when
 * the size is unknown) and one at the end with the size, time and MB/s. Not a general progress library.
 */
import type { ByteProgress } from './download.js';

const MB = 1e6;

export function stderrProgress(label: string, out: NodeJS.WriteStream = process.stderr, tty = out.isTTY === true): ByteProgress {
  const t0 = Date.now();
  let last = { received: 0, total: null as number | null };
  let drawn = false;
  let lastDraw = 0;
  let nextQuarter = 1;
  let lastPlain = t0;
  const speed = (received: number): string => {
    const s = Math.max(Date.now() - t0, 1) / 1000;
    return `${(received / MB / s).toFixed(1)} MB/s`;
  };
  const amount = (received: number, total: number | null): string =>
    total !== null ? `${(received / MB).toFixed(1)}/${(total / MB).toFixed(1)} MB` : `${(received / MB).toFixed(1)} MB`;

  return {
    update(received, total) {
      last = { received, total };
      if (tty) {
        // redraw at most 10 times a second, and at the end
        const now = Date.now();
        if (drawn && now - lastDraw < 100 && received !== total) return;
        lastDraw = now;
        const text = `${amount(received, total)}  ${speed(received)}`;
        const cols = out.columns > 0 ? out.columns : 80;
        // the bar takes what the terminal has left, 10 to 30 characters
        const width = Math.max(10, Math.min(30, cols - 1 - label.length - text.length - 4));
        const fill = total !== null && total > 0 ? Math.round((received / total) * width) : 0;
        const bar = total !== null ? `[${'='.repeat(fill).padEnd(width)}] ` : '';
        out.write(`\r${`${label} ${bar}${text}`.slice(0, cols - 1)}\x1b[K`);
        drawn = true;
        return;
      }
      const now = Date.now();
      const quarter = total !== null && total > 0 && received < total && received >= (nextQuarter * total) / 4;
      if (quarter || (total === null && now - lastPlain >= 30_000)) {
        if (total !== null) nextQuarter = Math.floor((4 * received) / total) + 1;
        lastPlain = now;
        out.write(`${label}: ${amount(received, total)}${total !== null ? ` (${Math.floor((100 * received) / total)}%)` : ''}, ${speed(received)}\n`);
      }
    },
    done() {
      if (tty && drawn) out.write('\n');
      drawn = false;
      const complete = last.total === null || last.received === last.total;
      if (!tty && complete && last.received > 0) {
        const s = (Date.now() - t0) / 1000;
        out.write(`${label}: ${(last.received / MB).toFixed(1)} MB in ${s.toFixed(1)} s (${speed(last.received)})\n`);
      }
    },
  };
}
