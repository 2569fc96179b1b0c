/** SGD with coupled L2 (docs/definitions.md §Learning rules): G is the backprop gradient. One module of the rule registry (registry.ts). */
import { sgdUpdate } from '../rules.ts';
import { defineRule } from './rule.ts';

/** SGD: backprop, no hyper-parameters of its own, no per-run state, θ ← θ − η(G + γθ). */
export const sgd = defineRule({
  backward: 'bp',
  params: {},
  options: () => null,
  start: (model, s) => ({
    update: (i) => sgdUpdate(model.params[i]!, model.grads[i]!, s.lr, s.gamma),
  }),
});
