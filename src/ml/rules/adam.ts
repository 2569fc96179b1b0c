/** Adam with coupled L2 (torch.optim.Adam): G is the backprop gradient. One module of the rule registry (registry.ts). */
import { z } from 'zod';
import { adamUpdate, type AdamState } from '../rules.ts';
import { defineRule } from './rule.ts';

/** Adam: backprop; its hyper-parameters are torch's names and defaults; per-run state is each parameter's two moments. */
export const adam = defineRule({
  backward: 'bp',
  params: {
    adam_beta1: z.number().min(0).max(1).default(0.9),
    adam_beta2: z.number().min(0).max(1).default(0.999),
    adam_eps: z.number().positive().default(1e-8),
  },
  options: (p) => ({ beta1: p.adam_beta1, beta2: p.adam_beta2, eps: p.adam_eps }),
  start: (model, s, o) => {
    const moments: AdamState[] = model.params.map((a) => ({ m: new Float32Array(a.length), v: new Float32Array(a.length) }));
    return {
      update: (i, info) => adamUpdate(model.params[i]!, model.grads[i]!, moments[i]!, info.step, s.lr, s.gamma, o),
    };
  },
});
