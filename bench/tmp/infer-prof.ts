import { getBackend } from '../../src/backend/select.js';
import type { Backend } from '../../src/backend/backend.js';
import { DenseNet } from '../../src/models/densenet.js';
import { variantConfig } from '../../src/models/variants.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
const n = Number(process.argv[2] ?? 1);
const be = await getBackend('native');
const model = new DenseNet(variantConfig('densenet121'), 0); model.eval();
const rng = new Rng(1);
const x = new Tensor(new Float32Array(n*3*224*224).map(() => rng.normal()), [n,3,224,224]);
const times = new Map<string, number>(); const flops = new Map<string, number>();
const wrap: Backend = new Proxy(be, { get(t, p) {
  const v = (t as any)[p];
  if (typeof v !== 'function') return v;
  return (...a: any[]) => { const t0 = performance.now(); const r = v.apply(t, a);
    let key = String(p);
    if (p === 'conv2d') { const g = a[0]; key = `conv${g.kh}x${g.kw}/${g.stride} ${g.h}x${g.w} cin${g.cin>256?'>256':'<=256'}`; flops.set(key,(flops.get(key)??0)+2*g.cout*g.n*g.ho*g.wo*g.cin*g.kh*g.kw); }
    times.set(key, (times.get(key) ?? 0) + performance.now() - t0); return r; };
}});
for (let i = 0; i < 3; i++) model.forward(x, be);
const reps = 5; const tt: number[] = [];
for (let i = 0; i < reps; i++) { const t0 = performance.now(); model.forward(x, wrap); tt.push(performance.now()-t0); }
let sum = 0;
for (const [k, v] of [...times].sort((a,b)=>b[1]-a[1])) { sum += v/reps; const f = flops.get(k); console.log(k.padEnd(34), (v/reps).toFixed(2).padStart(8), 'ms', f ? (f/(v/reps)/1e6).toFixed(0).padStart(6)+' GFLOP/s' : ''); }
console.log('ops', sum.toFixed(1), 'total', (tt.reduce((a,b)=>a+b)/reps).toFixed(1));
