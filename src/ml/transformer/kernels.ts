/**
 * The transformer step's light kernels, forward and backward, as plain JS loops over
 * Float32Arrays (row-major; in the step they are views of the SIMD arena): the head's tanh (JS's
 * Math.tanh, which the recorded digests of test/ml-rules-golden.test.ts pin). Everything else
 * (dense products, attention, residual + LayerNorm, ReLU, column sums, the embedding and the
 * mean pool) runs on the kernels of assembly/kernels.ts or their native build.
 *
 * Shapes: B sequences of T tokens, N = B·T rows, C model width.
 * Every kernel is checked against its plain tfjs formulation (twin.ts) in test/ml-transformer*.
 */

/** LayerNorm's ε (torch.nn.LayerNorm's default). */
export const LN_EPS = 1e-5;

/** h = tanh(z) over the first n values. */
export function tanhForward(z: Float32Array, h: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) h[i] = Math.tanh(z[i]!);
}

/** tanh backward in place: d ← d ⊙ (1 − h²) (h the tanh output). */
export function tanhBackward(d: Float32Array, h: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) d[i] = d[i]! * (1 - h[i]! * h[i]!);
}

