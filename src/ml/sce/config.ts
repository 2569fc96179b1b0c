/** The configuration of one SCE training cell (stages/train-sce.ts builds it from its params). */
import type { LoopConfig } from '../cell-params.ts';
import type { SceRuleName, SceRuleOptions } from '../rules/registry.ts';
import type { ActivationName } from './activations.ts';

/** How the network learns: SGD on the cross-entropy, or a Hebbian rule of Fig. 4 (the SCE rule registry's names). */
export type SceRule = SceRuleName;

/**
 * Everything that defines one SCE cell. From LoopConfig: γ is coupled L2 on biases and BN
 * parameters too; collapse compares the test CE against ln(classes); K steps are measured every
 * step. The Hebbian rules' options (h_b, layers, the standardisation target) are under their names.
 */
export interface SceConfig extends LoopConfig, SceRuleOptions {
  /** Layer widths, input first: [3072, 128, 128, 10]. */
  readonly sizes: readonly number[];
  readonly activation: ActivationName;
  readonly rule: SceRule;
  /** L1 weight decay λ₁ (biases and BN parameters too). */
  readonly l1: number;
  readonly batchNorm: boolean;
  readonly bnEps: number;
  readonly bnMomentum: number;
  readonly initScale: number;
  /** Outside the last K steps, alignment is measured every this many steps (for the curves). */
  readonly measureEvery: number;
  /** Window of the mean ± SD curves, in iterations. */
  readonly curveWindow: number;
  /** Test images used for the trajectory's loss/accuracy (the final numbers use the whole test set). */
  readonly evalN: number;
  /** Training images used for the final training loss/accuracy. */
  readonly trainEvalN: number;
  readonly reportedLayer: string;
  /** Fig. 2: the layer and crop size of the end-of-training snapshot (null: none). */
  readonly snapshot: { readonly layer: string; readonly size: number } | null;
  /** Fig. 12: also snapshot the end of the first epoch (measured there) and the window's lowest-cosine step. Needs `snapshot`. */
  readonly fig12?: boolean;
  /** Record the reported matrix's per-neuron alignment (src/ml/per-neuron.ts) into the metrics. */
  readonly perNeuron?: boolean;
  /** With perNeuron: also sample its sign phases every this many steps (measured there); absent: no phase counts. */
  readonly perNeuronEvery?: number | null;
}

/** The rule name written to metrics.json: 'sgd', or a Hebbian rule with its h_b, e.g. 'oja-post'. */
export function ruleLabel(c: Pick<SceConfig, 'rule' | keyof SceRuleOptions>): string {
  return c.rule === 'sgd' ? 'sgd' : `${c.rule}-${c[c.rule].signal}`;
}
