/**
 * SGD on the classification (SCE) task: θ ← θ − η(G + γθ + λ₁ sign θ), coupled L2 and L1 on every
 * parameter (biases and batch norm's included). A module of the SCE rule registry (registry.ts).
 * It is not the regression tasks' `sgd` module: that one has no L1 and computes θ(1 − ηγ) − ηG,
 * and each task's cells keep the bytes their arithmetic gave them.
 */
import { sgdDecayUpdate } from '../sce/rules.ts';
import { defineRule } from './rule.ts';

/** SGD with coupled L2 and L1 (λ₁ = the loop's `l1`): backprop, no options, no per-run state. */
export const sceSgd = defineRule({
  backward: 'bp',
  params: {},
  options: () => null,
  start: (model, s) => ({
    update: (i) => sgdDecayUpdate(model.params[i]!, model.grads[i]!, s.lr, s.gamma, s.l1 ?? 0),
  }),
});
