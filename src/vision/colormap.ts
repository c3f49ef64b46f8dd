/**
 * Heat-map pictures: the jet colormap and an alpha blend of a [0, 1] map over an RGB image (what
 * pytorch-grad-cam's show_cam_on_image draws). Pure arithmetic on arrays, no image files (cli/gradcam.ts writes
 * the PNG). Jet here is the usual piecewise-linear form: r, g, b = clamp(1.5 - |4v - 3|), clamp(1.5 - |4v - 2|),
 * clamp(1.5 - |4v - 1|): dark blue at 0, cyan, yellow, dark red at 1 (close to matplotlib's 'jet').
 */

/** The jet colour of v in [0, 1] (clamped) as 0..255 RGB. */
export function jet(v: number): [number, number, number] {
  const t = Math.min(Math.max(v, 0), 1) * 4;
  const ch = (centre: number): number => Math.round(255 * Math.min(Math.max(1.5 - Math.abs(t - centre), 0), 1));
  return [ch(3), ch(2), ch(1)];
}

/**
 * out = (1 - alpha) * image + alpha * jet(heat), per pixel. image: RGB HWC [height * width * 3]; heat:
 * [height * width] in [0, 1], row-major; alpha in [0, 1] (0: the image, 1: the map alone).
 */
export function overlayHeat(image: Uint8Array, heat: Float32Array, width: number, height: number, alpha: number): Uint8Array {
  const n = width * height;
  if (image.length !== 3 * n || heat.length !== n) {
    throw new Error(`overlayHeat: image of ${image.length} bytes and map of ${heat.length} values for ${width}x${height} RGB`);
  }
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`overlayHeat: alpha must be in [0, 1], got ${alpha}`);
  const out = new Uint8Array(3 * n);
  for (let p = 0; p < n; p++) {
    const c = jet(heat[p]);
    for (let k = 0; k < 3; k++) out[3 * p + k] = Math.round((1 - alpha) * image[3 * p + k] + alpha * c[k]);
  }
  return out;
}
