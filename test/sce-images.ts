/**
 * A small learnable image set for SCE training tests: n images of `dim` uint8 pixels (3 channels),
 * each a class pattern (one per label, stream 'pattern') plus uniform noise, so a net learns above
 * chance. Seeded; the same (n, seed, dim, classes) gives the same bytes.
 */
import { rngFor } from '../src/ml/rng.ts';
import type { ImageSet } from '../src/ml/sce/data.ts';

/** n images of `dim` pixels over `classes` labels (stream 'sce-kernels-train' for labels and noise). */
export function patternImages(n: number, seed: number, dim: number, classes: number): ImageSet {
  const r = rngFor(seed, 'sce-kernels-train');
  const patterns = Array.from({ length: classes }, (_, c) => rngFor(c, 'pattern').fillUniform(new Float32Array(dim), -60, 60));
  const px = new Uint8Array(n * dim);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = r.int(classes);
    labels[i] = c;
    for (let j = 0; j < dim; j++) px[i * dim + j] = Math.max(0, Math.min(255, Math.round(128 + patterns[c]![j]! + (r.nextU32() % 121) - 60)));
  }
  return { images: px, labels, n, dim };
}
