/**
 * Training curves as a self-contained SVG (no plotting dependency): loss and accuracy per epoch, train and
 * validation, side by side. Redrawn from metrics.jsonl rows after every epoch.
 */

export interface EpochMetrics {
  epoch: number;
  lr: number;
  train_loss: number;
  train_acc: number;
  val_loss: number | null;
  val_acc: number | null;
  images_per_s: number;
  seconds: number;
}

interface Series {
  label: string;
  color: string;
  points: [number, number][];
}

const W = 420;
const H = 300;
const M = { l: 56, r: 16, t: 34, b: 44 };

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** One plot; the legend goes where the curves usually are not (top right for loss, bottom right for accuracy). */
function panel(x0: number, title: string, series: Series[], yFormat: (v: number) => string, epochs: number, legendBottom: boolean): string {
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  let lo = ys.length ? Math.min(...ys) : 0;
  let hi = ys.length ? Math.max(...ys) : 1;
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const px = (e: number): number => x0 + M.l + ((e - 1) / Math.max(1, epochs - 1)) * (W - M.l - M.r);
  const py = (v: number): number => M.t + (1 - (v - lo) / (hi - lo)) * (H - M.t - M.b);
  const parts: string[] = [];
  parts.push(`<text x="${x0 + W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${title}</text>`);
  parts.push(`<rect x="${x0 + M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}" fill="none" stroke="#999"/>`);
  for (const t of niceTicks(lo, hi)) {
    parts.push(`<line x1="${x0 + M.l}" x2="${x0 + W - M.r}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 + M.l - 6}" y="${py(t) + 4}" text-anchor="end" font-size="11">${yFormat(t)}</text>`);
  }
  for (const t of niceTicks(1, Math.max(epochs, 2), 6).filter((e) => Number.isInteger(e) && e <= epochs)) {
    parts.push(`<text x="${px(t)}" y="${H - M.b + 16}" text-anchor="middle" font-size="11">${t}</text>`);
  }
  parts.push(`<text x="${x0 + M.l + (W - M.l - M.r) / 2}" y="${H - 8}" text-anchor="middle" font-size="12">epoch</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (pts.length === 0) return;
    const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const p of pts) parts.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    const ly = legendBottom ? H - M.b - 12 - (series.length - 1 - i) * 16 : M.t + 8 + i * 16;
    parts.push(`<rect x="${x0 + W - M.r - 92}" y="${ly}" width="10" height="3" fill="${s.color}"/>`);
    parts.push(`<text x="${x0 + W - M.r - 78}" y="${ly + 5}" font-size="11">${s.label}</text>`);
  });
  return parts.join('\n');
}

/** The SVG document for the epochs so far. */
export function curvesSvg(rows: readonly EpochMetrics[], title = ''): string {
  const epochs = Math.max(1, ...rows.map((r) => r.epoch));
  const pts = (f: (r: EpochMetrics) => number | null): [number, number][] => rows.map((r) => [r.epoch, f(r) ?? NaN]);
  const loss = panel(0, 'loss', [
    { label: 'train', color: '#1f77b4', points: pts((r) => r.train_loss) },
    { label: 'validation', color: '#d62728', points: pts((r) => r.val_loss) },
  ], (v) => v.toPrecision(3), epochs, false);
  const acc = panel(W, 'accuracy (%)', [
    { label: 'train', color: '#1f77b4', points: pts((r) => 100 * r.train_acc) },
    { label: 'validation', color: '#d62728', points: pts((r) => (r.val_acc === null ? null : 100 * r.val_acc)) },
  ], (v) => v.toFixed(1), epochs, true);
  const head = title ? `<text x="${W}" y="${H + 18}" text-anchor="middle" font-size="12" fill="#555">${escapeXml(title)}</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 26}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${loss}
${acc}
${head}
</svg>
`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}
