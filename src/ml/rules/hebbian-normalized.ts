/**
 * Normalised Hebbian learning (Fig. 4): W ← W + η(R − γW), then each unit's incoming weights are
 * standardised to mean 0 and SD `hebb_target_std` (default the init's SD). A module of the SCE rule
 * registry (registry.ts); the shared run is hebbian.ts's.
 */
import { z } from 'zod';
import { normalizedHebbianUpdate } from '../sce/rules.ts';
import { hebbianParams, hebbianRun, type HebbianOptions } from './hebbian.ts';
import { defineRule } from './rule.ts';

/** Normalised Hebbian: its options are the shared ones plus the standardisation target. */
export const hebbianNormalized = defineRule({
  backward: 'bp',
  params: {
    ...hebbianParams,
    /** Decision: normalised Hebbian standardises each unit's incoming weights to this SD (null: the init's SD). */
    hebb_target_std: z.number().positive().nullish(),
  },
  options: (p): HebbianOptions & { readonly targetStd: number | null } => ({ signal: p.hebb_signal, layers: p.hebb_layers, targetStd: p.hebb_target_std ?? null }),
  start: (model, s, o) =>
    hebbianRun(model, s, o, (W, h) => normalizedHebbianUpdate(W, h.R, h.nIn, h.nOut, s.lr, s.gamma, o.targetStd ?? h.initStd)),
});
