/*
 * batch_norm_backward.c: training batch norm (+ReLU) backward over rows of x [c][s] (Ioffe & Szegedy 2015,
 * §3; src/backend/reference/batch-norm-backward.ts is the spec). xhat = (x - mean) * invStd, z = gamma*xhat +
 * beta, dz = relu ? dy * [z > 0] : dy (mask recomputed from x). Pass 1: dbeta = sum dz, dgamma = sum dz*xhat
 * (float vector partials folded into double per chunk); pass 2: dx += gamma*invStd*dz - k*dbeta - k*dgamma*xhat,
 * k = gamma*invStd/s. dx ACCUMULATES, or is overwritten when `overwrite` (a fresh buffer needs no zero-fill);
 * it may be dy itself (each element is read before it is written).
 */
#include "kernels.h"

#define CHUNK 4096

INLINE vf dz_of(vf x, vf dy, vf mu, vf is, vf ga, vf be, int relu) {
  if (!relu) return dy;
  vf z = ga * ((x - mu) * is) + be;
  return (vf)((vi)dy & (z > (vf){0}));
}

void K(batch_norm_backward)(size_t c0, size_t c1, size_t s, const float *x, const float *mean, const float *inv_std,
                            const float *gamma, const float *beta, int relu, const float *dy, float *dx, float *dgamma,
                            float *dbeta, int overwrite) {
  for (size_t c = c0; c < c1; c++) {
    const float *xr = x + c * s, *dyr = dy + c * s;
    float *dxr = dx + c * s;
    float mu = mean[c], is = inv_std[c], ga = gamma[c], be = beta[c];
    vf vmu = splat(mu), vis = splat(is), vga = splat(ga), vbe = splat(be);
    double sdz = 0.0, sdzx = 0.0;
    for (size_t p0 = 0; p0 < s; p0 += CHUNK) {
      size_t p1 = min_sz(s, p0 + CHUNK), i = p0;
      vf a = (vf){0}, b = (vf){0};
      for (; i + VL <= p1; i += VL) {
        vf xv = load_u(xr + i), dz = dz_of(xv, load_u(dyr + i), vmu, vis, vga, vbe, relu);
        a += dz;
        b += dz * ((xv - vmu) * vis);
      }
      double pa = 0.0, pb = 0.0;
      for (int l = 0; l < VL; l++) pa += a[l], pb += b[l];
      for (; i < p1; i++) {
        float xh = (xr[i] - mu) * is, dz = relu && !(ga * xh + be > 0.0f) ? 0.0f : dyr[i];
        pa += dz;
        pb += dz * xh;
      }
      sdz += pa;
      sdzx += pb;
    }
    dbeta[c] = (float)sdz;
    dgamma[c] = (float)sdzx;
    double k = (double)ga * is / (double)s;
    float ca = ga * is, cb = (float)(-k * sdz), cc = (float)(-k * sdzx);
    vf va = splat(ca), vb = splat(cb), vc = splat(cc);
    size_t i = 0;
    for (; i + VL <= s; i += VL) {
      vf xv = load_u(xr + i), dz = dz_of(xv, load_u(dyr + i), vmu, vis, vga, vbe, relu);
      vf d = va * dz + (vb + vc * ((xv - vmu) * vis));
      store_u(dxr + i, overwrite ? d : load_u(dxr + i) + d);
    }
    for (; i < s; i++) {
      float xh = (xr[i] - mu) * is, dz = relu && !(ga * xh + be > 0.0f) ? 0.0f : dyr[i];
      float d = ca * dz + (cb + cc * xh);
      dxr[i] = overwrite ? d : dxr[i] + d;
    }
  }
}
