/**
 * RandomNN (the paper's Appendix B.3): no backward pass. A fixed random MLP (stream 'randomnn')
 * reads the batch; its mean output r, projected by a fixed N(0,1) matrix per parameter, is W*;
 * the sign logic of `randomNNSignal` makes g from it, and the update clips Δ = η(g − γθ) per
 * parameter (default) or over all parameters at once (the `randomnn_clip_mode: global` reading),
 * recording every pre-clip norm. One module of the rule registry (registry.ts).
 */
import { initMlp } from '../mlp.ts';
import { rngFor } from '../rng.ts';
import { projectSignal, randomNNSignal, randomNNUpdate } from '../rules.ts';
import type { LearningRule, RuleModel, RuleSettings } from './rule.ts';

/** RandomNN: backward 'none'; per-run state is the fixed network, the projections M and the W* buffers. */
export const randomnn: LearningRule = {
  backward: 'none',
  start: (model, s) => {
    const c = s.randomnn;
    const rng = rngFor(s.seed, 'randomnn');
    const net = initMlp([model.probeWidth, ...c.hidden, c.outputs], rng);
    const M = model.params.map((a) => rng.fillNormal(new Float32Array(a.length * c.outputs)));
    const probe = model.probe(net);
    const Wstar = model.params.map((a) => new Float32Array(a.length));
    const driveBiases = c.driveBiases ?? true;
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
        globalScale = s.readings.randomnnClip === 'global' ? globalClipScale(model, s, (n) => info.clip('global', c.clip, n)) : null;
      },
      update: (i, info) =>
        globalScale === null
          ? randomNNUpdate(model.params[i]!, model.grads[i]!, s.lr, s.gamma, c.clip, (n) => info.clip('per-parameter', c.clip, n))
          : randomNNUpdate(model.params[i]!, model.grads[i]!, s.lr * globalScale, s.gamma, Infinity),
      dispose: () => probe.dispose(),
    };
  },
};

/**
 * RandomNN's global clip: the factor min(1, clip / ‖Δ‖) over the steps Δ = η(g − γθ) of all
 * parameters together (update order); `onNorm` receives ‖Δ‖ before the clip.
 */
function globalClipScale(model: RuleModel, s: RuleSettings, onNorm: (n: number) => void): number {
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
  return n > s.randomnn.clip ? s.randomnn.clip / n : 1;
}
