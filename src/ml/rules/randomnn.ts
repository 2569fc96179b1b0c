/**
 * RandomNN (the paper's Appendix B.3): no backward pass. A fixed random MLP (stream 'randomnn')
 * reads the batch; its mean output r, projected by a fixed N(0,1) matrix per parameter, is W*;
 * the sign logic of `randomNNSignal` makes g from it, and the update clips Δ = η(g − γθ) per
 * parameter (default) or over all parameters at once (the `randomnn_clip_mode: global` reading),
 * recording every pre-clip norm. One module of the rule registry (registry.ts).
 */
import { z } from 'zod';
import { initMlp } from '../mlp.ts';
import { rngFor } from '../rng.ts';
import { projectSignal, randomNNSignal, randomNNUpdate, type RandomNNConfig } from '../rules.ts';
import { defineRule, type RuleModel, type RuleSettings } from './rule.ts';

/** RandomNN's options: the sign logic's constants, its fixed network, and whether biases are driven. */
export interface RandomNNOptions extends RandomNNConfig {
  /** The fixed network's hidden widths (its input is the model's probeWidth). */
  readonly hidden: readonly number[];
  readonly outputs: number;
  /** Drive biases with their own W*; false: biases get g = 0 (decay only). */
  readonly driveBiases: boolean;
}

/** RandomNN: backward 'none'; per-run state is the fixed network, the projections M and the W* buffers. */
export const randomnn = defineRule({
  backward: 'none',
  params: {
    /** RandomNN: the norm its sign logic steers each parameter towards. */
    randomnn_target_norm: z.number().positive().default(100),
    /** Decision: RandomNN update-norm clip, per parameter. */
    randomnn_clip: z.number().positive().default(1),
    randomnn_eps: z.number().positive().default(1e-8),
    /** RandomNN's fixed network: input → hidden → outputs. */
    randomnn_hidden: z.array(z.number().int().positive()).default([128, 128, 128]),
    randomnn_outputs: z.number().int().positive().default(4),
    /** Decision: RandomNN drives biases with their own W* (docs/definitions.md §Learning rules: "per parameter"); false: biases only decay. */
    randomnn_drive_biases: z.boolean().default(true),
  },
  options: (p): RandomNNOptions => ({
    targetNorm: p.randomnn_target_norm,
    clip: p.randomnn_clip,
    eps: p.randomnn_eps,
    hidden: p.randomnn_hidden,
    outputs: p.randomnn_outputs,
    driveBiases: p.randomnn_drive_biases,
  }),
  start: (model, s, c) => {
    const rng = rngFor(s.seed, 'randomnn');
    const net = initMlp([model.probeWidth, ...c.hidden, c.outputs], rng);
    const M = model.params.map((a) => rng.fillNormal(new Float32Array(a.length * c.outputs)));
    const probe = model.probe(net);
    const Wstar = model.params.map((a) => new Float32Array(a.length));
    const driveBiases = c.driveBiases;
    let globalScale: number | null = null;
    return {
      signal: () => {
        const r = probe.mean();
        for (let i = 0; i < model.params.length; i++) {
          const Ws = projectSignal(M[i]!, r, Wstar[i]!);
          const g = model.grads[i]!;
          if (model.biases[i] && !driveBiases) {
            g.fill(0);
            continue;
          }
          randomNNSignal(model.params[i]!, Ws, c, g);
          for (let j = 0; j < g.length; j++) g[j] = -g[j]!; // G = −g
        }
      },
      beforeUpdate: (info) => {
        globalScale = s.readings.randomnnClip === 'global' ? globalClipScale(model, s, c.clip, (n) => info.clip('global', c.clip, n)) : null;
      },
      update: (i, info) =>
        globalScale === null
          ? randomNNUpdate(model.params[i]!, model.grads[i]!, s.lr, s.gamma, c.clip, (n) => info.clip('per-parameter', c.clip, n))
          : randomNNUpdate(model.params[i]!, model.grads[i]!, s.lr * globalScale, s.gamma, Infinity),
      dispose: () => probe.dispose(),
    };
  },
});

/**
 * RandomNN's global clip: the factor min(1, clip / ‖Δ‖) over the steps Δ = η(g − γθ) of all
 * parameters together (update order), against `clip`; `onNorm` receives ‖Δ‖ before the clip.
 */
function globalClipScale(model: RuleModel, s: RuleSettings, clip: number, onNorm: (n: number) => void): number {
  let dd = 0;
  for (let i = 0; i < model.params.length; i++) {
    const theta = model.params[i]!;
    const g = model.grads[i]!;
    for (let j = 0; j < theta.length; j++) {
      const d = s.lr * (-g[j]! - s.gamma * theta[j]!);
      dd += d * d;
    }
  }
  const n = Math.sqrt(dd);
  onNorm(n);
  return n > clip ? clip / n : 1;
}
