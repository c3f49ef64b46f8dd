/** Number and table formatting for the CLI (plain text, aligned columns), and its integer flags' parsing. */

export function commas(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 2834161664 -> "2.834 G". */
export function si(n: number, digits = 3): string {
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [v, u] of units) if (Math.abs(n) >= v) return `${(n / v).toFixed(digits)} ${u}`;
  return `${n}`;
}

export function bytes(n: number): string {
  const units: [number, string][] = [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [v, u] of units) if (n >= v) return `${(n / v).toFixed(1)} ${u}`;
  return `${n} B`;
}

/** Renders rows as an aligned table; columns listed in `right` are right-aligned. */
export function table(header: string[], rows: string[][], right: Set<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A positive integer flag's value (`dflt` when not given); anything else is one error naming the flag. */
export function positiveInt(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (v.trim() === '' || !Number.isInteger(x) || x < 1) throw new Error(`--${flag} expects a positive integer, got '${v}'`);
  return x;
}
