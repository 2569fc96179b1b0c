/** Floating-point operations of the benchmarked steps, counted from the shapes (for the fraction-of-peak figures). */
import type { TransformerConfig } from '../src/ml/transformer/model.ts';

/**
 * One gradients-only transformer step at batch B: the forward's dense products and attention
 * (QKᵀ and PV), and twice that for the backward (input and weight gradients; dP, dS·K, dSᵀ·Q, Pᵀ·dY).
 */
export function transformerStepFlops(c: TransformerConfig, B: number): number {
  const N = B * c.seqLen;
  const C = c.dModel;
  const dense = 2 * N * (C * 3 * C + C * C + C * c.dFF + c.dFF * C);
  const attention = 2 * 2 * B * c.seqLen * c.seqLen * C;
  const head = 2 * B * c.head.slice(1).reduce((s, o, i) => s + c.head[i]! * o, 0);
  return 3 * (c.layers * (dense + attention) + head);
}
