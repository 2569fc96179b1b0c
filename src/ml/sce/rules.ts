/**
 * The SCE update rules' arithmetic in plain loops (the rule modules of src/ml/rules/ — sce-sgd,
 * hebbian-normalized, oja — call these): SGD with coupled L2 and L1 weight decay, and the Hebbian
 * rules of Fig. 4 (normalised Hebbian with weight standardisation, Oja's rule). Weights are
 * stored [in, out] row-major (src/ml/mlp.ts): column o holds output unit o's incoming weights.
 */
import { signOf } from '../alignment.ts';

/**
 * θ ← θ − η(G + γθ + λ₁ sign θ) (coupled L2 as in docs/definitions.md §Training, L1 the subgradient of λ₁‖θ‖₁).
 * Returns ‖θ‖² after the update (NaN/Inf when it diverged).
 */
export function sgdDecayUpdate(theta: Float32Array, G: Float32Array, lr: number, l2: number, l1: number): number {
  let ss = 0;
  for (let i = 0; i < theta.length; i++) {
    const w = theta[i]!;
    const v = w - lr * (G[i]! + l2 * w + l1 * signOf(w));
    theta[i] = v;
    ss += v * v;
  }
  return ss;
}

/**
 * Normalised Hebbian step: W ← W + η(R − γW), then weight standardisation: each output unit's
 * incoming weights (a column) are shifted to mean 0 and scaled to standard deviation `targetStd`
 * (population SD over the fan-in). R = mean over the batch of y h_aᵀ ([in, out]).
 * A column with zero spread is left centred. Returns ‖W‖² after the step.
 */
export function normalizedHebbianUpdate(W: Float32Array, R: Float32Array, nIn: number, nOut: number, lr: number, gamma: number, targetStd: number): number {
  for (let i = 0; i < W.length; i++) W[i] = W[i]! + lr * (R[i]! - gamma * W[i]!);
  return standardiseColumns(W, nIn, nOut, targetStd);
}

/** Weight standardisation of the columns of W [in, out] to mean 0, SD `targetStd`; returns ‖W‖². */
export function standardiseColumns(W: Float32Array, nIn: number, nOut: number, targetStd: number): number {
  const s = new Float64Array(nOut);
  const ss = new Float64Array(nOut);
  for (let i = 0; i < nIn; i++) {
    const row = i * nOut;
    for (let o = 0; o < nOut; o++) {
      const w = W[row + o]!;
      s[o] = s[o]! + w;
      ss[o] = ss[o]! + w * w;
    }
  }
  const mu = new Float64Array(nOut);
  const k = new Float64Array(nOut);
  for (let o = 0; o < nOut; o++) {
    mu[o] = s[o]! / nIn;
    const v = Math.max(0, ss[o]! / nIn - mu[o]! * mu[o]!);
    k[o] = v > 0 ? targetStd / Math.sqrt(v) : 1;
  }
  let total = 0;
  for (let i = 0; i < nIn; i++) {
    const row = i * nOut;
    for (let o = 0; o < nOut; o++) {
      const v = (W[row + o]! - mu[o]!) * k[o]!;
      W[row + o] = v;
      total += v * v;
    }
  }
  return total;
}

/**
 * Oja's rule, applied to each output unit independently (Oja 1982): for unit o with output y_o and
 * incoming weights w_o, Δw_o = η(mean_batch(y_o h_a) − mean_batch(y_o²) w_o) − ηγ w_o.
 * R: [in, out] = mean y h_aᵀ; q: [out] = mean y². Returns ‖W‖² after the step.
 */
export function ojaUpdate(W: Float32Array, R: Float32Array, q: Float32Array, nIn: number, nOut: number, lr: number, gamma: number): number {
  let ss = 0;
  for (let i = 0; i < nIn; i++) {
    const row = i * nOut;
    for (let o = 0; o < nOut; o++) {
      const w = W[row + o]!;
      const v = w + lr * (R[row + o]! - q[o]! * w - gamma * w);
      W[row + o] = v;
      ss += v * v;
    }
  }
  return ss;
}

/** The SD of PyTorch's init, uniform(±s/√fan_in): s/√(3·fan_in) (weight standardisation's default target). */
export function initStd(fanIn: number, initScale: number): number {
  return initScale / Math.sqrt(3 * fanIn);
}
