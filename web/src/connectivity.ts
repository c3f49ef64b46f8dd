/**
 * The network's dense connectivity as an SVG, drawn from the model's own summary (summarize(): each block's
 * layers L, its L(L+1)/2 connections, channels in and out, spatial size) — nothing here is hard-coded to one
 * architecture. Per block: L + 1 bars, the block input and the concatenation after each layer, whose heights
 * grow by the growth rate k (Huang et al. 2017, Sec. 3: layer l sees k0 + k(l-1) channels); one arc from every
 * bar to every later one (layer j reads the block input and all j-1 earlier outputs: L(L+1)/2 arcs). Between
 * blocks, the transitions (1x1 conv halving channels with compression, 2x2 average pool).
 */
import type { ModelSummary } from 'densenet-ts';

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot' } as Record<string, string>)[c]};`);

export function connectivitySvg(s: ModelSummary, numClasses: number): string {
  const blocks = s.blocks;
  const W = 900;
  const base = 210;
  const maxBar = 110;
  const maxCh = Math.max(...blocks.map((b) => b.channelsOut));
  const barH = (ch: number): number => Math.max(4, (ch / maxCh) * maxBar);
  const boxW = 58;
  const gaps = blocks.length + 1; // stem, transitions, head
  const nodes = blocks.reduce((n, b) => n + b.layers + 1, 0);
  const step = (W - 20 - gaps * (boxW + 24)) / nodes;
  const parts: string[] = [];
  let x = 10;
  const box = (label: string, sub: string, cls: string): void => {
    parts.push(`<rect class="${cls}" x="${x}" y="${base - 44}" width="${boxW}" height="44" rx="5"/>`);
    parts.push(`<text class="box-label" x="${x + boxW / 2}" y="${base - 26}">${esc(label)}</text>`);
    parts.push(`<text class="box-sub" x="${x + boxW / 2}" y="${base - 12}">${esc(sub)}</text>`);
    x += boxW + 24;
  };
  const first = blocks[0];
  box('stem', first ? `${first.channelsIn} ch` : '', 'stem');
  blocks.forEach((b, bi) => {
    const L = b.layers;
    const k = L > 0 ? (b.channelsOut - b.channelsIn) / L : 0;
    const xs: number[] = [];
    for (let i = 0; i <= L; i++) xs.push(x + step * (i + 0.5));
    const arcs: string[] = [];
    for (let j = 1; j <= L; j++) {
      for (let i = 0; i < j; i++) {
        const top = base - barH(b.channelsIn + i * k) - 6 - (xs[j] - xs[i]) * 0.45;
        arcs.push(`M${xs[i].toFixed(1)} ${(base - barH(b.channelsIn + i * k)).toFixed(1)} Q${((xs[i] + xs[j]) / 2).toFixed(1)} ${top.toFixed(1)} ${xs[j].toFixed(1)} ${(base - barH(b.channelsIn + j * k)).toFixed(1)}`);
      }
    }
    parts.push(`<path class="arc arc-b${bi % 4}" d="${arcs.join(' ')}"/>`);
    for (let i = 0; i <= L; i++) {
      const h = barH(b.channelsIn + i * k);
      parts.push(`<rect class="bar bar-b${bi % 4}" x="${(xs[i] - step * 0.3).toFixed(1)}" y="${(base - h).toFixed(1)}" width="${(step * 0.6).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(`${b.name}: ${i === 0 ? 'input' : `after layer ${i}`}, ${b.channelsIn + i * k} channels`)}</title></rect>`);
    }
    const mid = x + (step * (L + 1)) / 2;
    parts.push(`<text class="block-label" x="${mid.toFixed(1)}" y="${base + 18}">${esc(b.name)}: ${L} layers, ${b.connections} connections</text>`);
    parts.push(`<text class="block-sub" x="${mid.toFixed(1)}" y="${base + 34}">${b.channelsIn} → ${b.channelsOut} ch (k = ${k}), ${b.size[0]}×${b.size[1]}</text>`);
    x += step * (L + 1);
    const next = blocks[bi + 1];
    if (next) box('trans', `→ ${next.channelsIn} ch`, 'trans');
  });
  box('head', `${numClasses} classes`, 'head');
  const total = blocks.reduce((n, b) => n + b.connections, 0);
  parts.push(`<text class="caption" x="10" y="18">${blocks.length} dense blocks, ${total} direct connections, ${(s.params / 1000).toFixed(1)}k parameters, ${(s.macs / 1e6).toFixed(1)}M MACs for a ${s.input.slice(1).join('×')} input</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${base + 44}" role="img" aria-label="dense connectivity of the model">${parts.join('')}</svg>`;
}
