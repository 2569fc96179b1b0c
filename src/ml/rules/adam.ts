/** Adam with coupled L2 (torch.optim.Adam): G is the backprop gradient. One module of the rule registry (registry.ts). */
import { adamUpdate, type AdamState } from '../rules.ts';
import type { LearningRule } from './rule.ts';

/** Adam: backprop; per-run state is each parameter's two moments. */
export const adam: LearningRule = {
  backward: 'bp',
  start: (model, s) => {
    const moments: AdamState[] = model.params.map((a) => ({ m: new Float32Array(a.length), v: new Float32Array(a.length) }));
    return {
      update: (i, info) => adamUpdate(model.params[i]!, model.grads[i]!, moments[i]!, info.step, s.lr, s.gamma, s.adam),
    };
  },
};
