/**
 * Direct feedback alignment: the model's step runs its 'dfa' backward through fixed feedback
 * matrices the model draws (stream 'dfa': their shapes are the model's) at this rule's entry
 * scale; the pseudo-gradient is clipped to a global norm (torch's clip_grad_norm_, the pre-clip
 * norm recorded), and SGD applies it. One module of the rule registry (registry.ts).
 */
import { z } from 'zod';
import { clipGlobalNorm, sgdUpdate } from '../rules.ts';
import { defineRule } from './rule.ts';

/** DFA: backward 'dfa', global clip of G at dfa_clip, then θ ← θ − η(G + γθ). */
export const dfa = defineRule({
  backward: 'dfa',
  params: {
    /** Decision: DFA feedback B_l entries uniform(±dfa_feedback_scale/√d_out) (the MLP's `dfa_feedback` reading may draw them otherwise). */
    dfa_feedback_scale: z.number().positive().default(1),
    /** DFA global gradient-norm clip. */
    dfa_clip: z.number().positive().default(5),
  },
  options: (p) => ({ feedbackScale: p.dfa_feedback_scale, clip: p.dfa_clip }),
  start: (model, s, o) => {
    if (!model.useFeedback) throw new Error('DFA needs a model with a feedback path (useFeedback)');
    model.useFeedback(o.feedbackScale);
    return {
      signal: (info) => info.clip('global', o.clip, clipGlobalNorm(model.normOrder, o.clip)),
      update: (i) => sgdUpdate(model.params[i]!, model.grads[i]!, s.lr, s.gamma),
    };
  },
});
