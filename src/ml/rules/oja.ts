/**
 * Oja's rule (Fig. 4), per output unit: Δw_o = η(mean y_o h_a − mean y_o² w_o) − ηγ w_o. A module
 * of the SCE rule registry (registry.ts); the shared run is hebbian.ts's.
 */
import { ojaUpdate } from '../sce/rules.ts';
import { hebbianParams, hebbianRun, type HebbianOptions } from './hebbian.ts';
import { defineRule } from './rule.ts';

/** Oja's rule: the shared Hebbian options only. */
export const oja = defineRule({
  backward: 'bp',
  params: hebbianParams,
  options: (p): HebbianOptions => ({ signal: p.hebb_signal, layers: p.hebb_layers }),
  start: (model, s, o) => hebbianRun(model, s, o, (W, h) => ojaUpdate(W, h.R, h.q, h.nIn, h.nOut, s.lr, s.gamma)),
});
