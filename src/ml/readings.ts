/**
 * The conventions the paper leaves open that a training cell can be asked to read differently
 * (docs/conventions.md): each has the default the paper's text supports best, and the
 * `conventions` stages train Table 1 cells under one alternative each.
 */

/** One training cell's readings of the open conventions. */
export interface Readings {
  /** h_b in H = mean h_b h_aᵀ: the pre-activation (default) or the post-activation. */
  readonly hb: 'pre' | 'post';
  /** Whether the pre-activation h_b includes the bias (default true). */
  readonly hBias: boolean;
  /** The loss the gradient is taken of: MSE averaged over batch × outputs (default), summed over outputs, or ½ · summed. */
  readonly lossScale: 'mean' | 'sum_outputs' | 'half_sum_outputs';
  /** DFA's fixed feedback B_l: uniform(±s/√d_out) (default), N(0, s²), or N(0, s²/d_out). */
  readonly dfaFeedback: 'uniform' | 'normal' | 'normal_fan_out';
  /**
   * The signal whose alignment with H is measured: the rule's own descent direction (default:
   * the gradient for SGD and Adam, the DFA pseudo-gradient, RandomNN's g), the true backprop
   * gradient, or the parameter step the rule actually takes (decay and Adam's scaling included).
   */
  readonly signal: 'rule' | 'gradient' | 'step';
  /** RandomNN's update-norm clip: per parameter (default) or over all parameters at once. */
  readonly randomnnClip: 'per_parameter' | 'global';
  /**
   * How the convergence window is summarised: the mean of the K per-iteration cosines (default),
   * or the cosine of the window-summed signal with the window-summed H (src/ml/window-sums.ts).
   */
  readonly windowSummary: 'mean_cosine' | 'cosine_of_means';
}

/** The defaults: the readings every Table 1 cell uses unless a conventions stage says otherwise. */
export const DEFAULT_READINGS: Readings = {
  hb: 'pre',
  hBias: true,
  lossScale: 'mean',
  dfaFeedback: 'uniform',
  signal: 'rule',
  randomnnClip: 'per_parameter',
  windowSummary: 'mean_cosine',
};

/** ∂L/∂out = (out − y) × this factor, for a batch of B rows and d_out outputs. */
export function gradScale(r: Readings, B: number, dOut: number): number {
  switch (r.lossScale) {
    case 'mean':
      return 2 / (B * dOut);
    case 'sum_outputs':
      return 2 / B;
    case 'half_sum_outputs':
      return 1 / B;
  }
}

/** A reading that makes no sense with the others, as a message naming the params; null when consistent. */
export function inconsistentReadings(r: Readings): string | null {
  if (r.hb === 'post' && !r.hBias) return 'h_bias: false applies to the pre-activation reading only (h_b: pre)';
  return null;
}
