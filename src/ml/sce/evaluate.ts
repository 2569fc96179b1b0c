/** The SCE model's evaluation: cross-entropy and accuracy over a set of images, in chunks, on a stepper's logits. */
import { assembleBatch, type ImageSet } from './data.ts';
import { ceFromLogits } from './measure.ts';
import type { SceModel } from './model.ts';
import type { SceStepper } from './stepper.ts';

/** Rows per evaluation chunk (a stepper is made for at least this many). */
export const EVAL_CHUNK = 500;

/**
 * Cross-entropy and accuracy of the model over the first `n` rows of `set`, in chunks of `chunk`
 * rows (at most the stepper's size): the stepper's evaluation-mode logits, then measure.ts
 * `ceFromLogits` in float64.
 */
export function evaluate(stepper: SceStepper, m: SceModel, set: ImageSet, n: number, lut: Float32Array, classes: number, chunk = EVAL_CHUNK): { loss: number; acc: number } {
  const D = set.dim;
  const x = new Float32Array(Math.min(chunk, n) * D);
  const logits = new Float32Array(Math.min(chunk, n) * classes);
  const idx = new Int32Array(Math.min(chunk, n));
  let ce = 0;
  let correct = 0;
  for (let s = 0; s < n; s += chunk) {
    const k = Math.min(chunk, n - s);
    for (let r = 0; r < k; r++) idx[r] = s + r;
    assembleBatch(set, idx.subarray(0, k), lut, x, null, classes);
    stepper.logits(m, x, k, logits);
    const r = ceFromLogits(logits, set.labels.subarray(s, s + k), k, classes);
    ce += r.ceSum;
    correct += r.correct;
  }
  return { loss: ce / n, acc: correct / n };
}
