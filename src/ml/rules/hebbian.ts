/**
 * What the two Hebbian rules of Fig. 4 (hebbian-normalized.ts, oja.ts) share: their stage params
 * (which h_b, which layers) and the run that trains the rule's layers by a weight update and leaves
 * the rest to SGD. The backward is still backprop: the readout learns by it, and every layer's
 * alignment is measured against its gradient.
 */
import { z } from 'zod';
import { norm } from '../rules.ts';
import { sgdDecayUpdate } from '../sce/rules.ts';
import type { HebbianParam, RuleModel, RuleRun, RuleSettings } from './rule.ts';

/** The stage params both Hebbian rules read. */
export const hebbianParams = {
  /** Hebbian rules: h_b is the pre-activation ('pre') or the post-activation ('post'). */
  hebb_signal: z.enum(['pre', 'post']).default('pre'),
  /** Decision: under a Hebbian rule the hidden layers learn by the rule and the readout by SGD. */
  hebb_layers: z.enum(['hidden']).default('hidden'),
};

/** The options both Hebbian rules have. */
export interface HebbianOptions {
  /** h_b in R = mean y h_aᵀ: the pre-activation or the post-activation. */
  readonly signal: 'pre' | 'post';
  /** Which layers learn by the rule ('hidden': the readout learns by SGD). */
  readonly layers: 'hidden' | 'all';
}

/** A rule-trained weight [in, out]'s update from its layer's terms; returns ‖W‖² after it. */
export type HebbianWeightUpdate = (W: Float32Array, h: Extract<HebbianParam, { kind: 'weight' }>, s: RuleSettings) => number;

/**
 * A Hebbian run: the model computes the terms for `o`; a rule-trained weight learns by `weight`,
 * its bias keeps its init (a decision), and every other parameter learns by SGD with coupled L2
 * and L1 (sce-sgd.ts's update).
 */
export function hebbianRun(model: RuleModel, s: RuleSettings, o: HebbianOptions, weight: HebbianWeightUpdate): RuleRun {
  if (!model.useHebbianTerms) throw new Error('the Hebbian rules need a model that computes their terms (useHebbianTerms)');
  const terms = model.useHebbianTerms(o.signal, o.layers);
  return {
    update: (i) => {
      const h = terms(i);
      const theta = model.params[i]!;
      if (h === null) return sgdDecayUpdate(theta, model.grads[i]!, s.lr, s.gamma, s.l1 ?? 0);
      if (h.kind === 'weight') return weight(theta, h, s);
      return norm(theta) ** 2; // Decision: the rule-trained layers' biases stay at their init.
    },
  };
}
