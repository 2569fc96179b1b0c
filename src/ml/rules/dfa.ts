/**
 * Direct feedback alignment: the model's step runs its 'dfa' backward (the fixed feedback B,
 * stream 'dfa', is the model's: its shapes are), the pseudo-gradient is clipped to a global norm
 * (torch's clip_grad_norm_, the pre-clip norm recorded), and SGD applies it. One module of the
 * rule registry (registry.ts).
 */
import { clipGlobalNorm, sgdUpdate } from '../rules.ts';
import type { LearningRule } from './rule.ts';

/** DFA: backward 'dfa', global clip of G at dfa_clip, then θ ← θ − η(G + γθ). */
export const dfa: LearningRule = {
  backward: 'dfa',
  start: (model, s) => ({
    signal: (info) => info.clip('global', s.dfa.clip, clipGlobalNorm(model.normOrder, s.dfa.clip)),
    update: (i) => sgdUpdate(model.params[i]!, model.grads[i]!, s.lr, s.gamma),
  }),
};
