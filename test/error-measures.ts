// The error measures the kernel tests compare arrays with (a kernel against float64, a build
// against the tfjs twin). Both check the lengths match first.
import { expect } from 'vitest';

/** max |a − b| / max(1, |b|): the worst element, absolute below 1 and relative above. */
export function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return w;
}

/** ‖a − b‖ / ‖b‖ (b all zeros: the error over a tiny norm, so any difference fails). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return Math.sqrt(d / Math.max(n, 1e-300));
}

/** Whether two arrays hold the same bytes (their views only, not their whole buffers: arena views share one). */
export function sameBytes(a: Float32Array | Int32Array, b: Float32Array | Int32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
