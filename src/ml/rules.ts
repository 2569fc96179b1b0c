/**
 * The learning rules' parameter updates, in plain loops over Float32Arrays (docs/definitions.md §Training, §Learning rules).
 *
 * Convention: every rule first produces, per parameter, a descent direction G (the negated
 * learning signal: g = −G). SGD/Adam: G = ∂L/∂θ; DFA: the (clipped) DFA pseudo-gradient;
 * RandomNN: G = −g of Appendix B.3. Weight decay is coupled (added to G) for every rule, biases
 * included.
 */

/** Frobenius norm. */
export function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** SGD with coupled L2: θ ← θ − η(G + γθ). Returns ‖θ‖² after the update. */
export function sgdUpdate(theta: Float32Array, G: Float32Array, lr: number, gamma: number): number {
  const decay = 1 - lr * gamma;
  let ss = 0;
  for (let i = 0; i < theta.length; i++) {
    const v = theta[i]! * decay - lr * G[i]!;
    theta[i] = v;
    ss += v * v;
  }
  return ss;
}

/** Adam's hyper-parameters (torch.optim.Adam names). */
export interface AdamConfig {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

/** Adam's moments for one parameter. */
export interface AdamState {
  readonly m: Float32Array;
  readonly v: Float32Array;
}

/**
 * torch.optim.Adam (amsgrad off) with coupled L2: grad = G + γθ goes into both moments;
 * θ ← θ − η m̂ / (√v̂ + ε). `t` is the 1-based step count. Returns ‖θ‖² after the update.
 */
export function adamUpdate(
  theta: Float32Array,
  G: Float32Array,
  s: AdamState,
  t: number,
  lr: number,
  gamma: number,
  c: AdamConfig,
): number {
  const bc1 = 1 - Math.pow(c.beta1, t);
  const bc2 = 1 - Math.pow(c.beta2, t);
  const stepSize = lr / bc1;
  const sqrtBc2 = Math.sqrt(bc2);
  const { m, v } = s;
  let ss = 0;
  for (let i = 0; i < theta.length; i++) {
    const th = theta[i]!;
    const g = G[i]! + gamma * th;
    const mi = c.beta1 * m[i]! + (1 - c.beta1) * g;
    const vi = c.beta2 * v[i]! + (1 - c.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const nv = th - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + c.eps);
    theta[i] = nv;
    ss += nv * nv;
  }
  return ss;
}

/**
 * Global gradient-norm clipping as torch.nn.utils.clip_grad_norm_: when the norm over all
 * arrays exceeds `maxNorm`, scales them all in place by maxNorm / (norm + 1e-6). Returns the
 * norm before clipping.
 */
export function clipGlobalNorm(Gs: readonly Float32Array[], maxNorm: number): number {
  let ss = 0;
  for (const G of Gs) for (let i = 0; i < G.length; i++) ss += G[i]! * G[i]!;
  const total = Math.sqrt(ss);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (const G of Gs) for (let i = 0; i < G.length; i++) G[i] = G[i]! * coef;
  return total;
}

/** RandomNN's fixed constants (docs/definitions.md §Learning rules; the paper's Appendix B.3). */
export interface RandomNNConfig {
  /** The norm the sign logic steers ‖W‖ towards (100). */
  readonly targetNorm: number;
  /** Update-norm clip, per parameter (1). */
  readonly clip: number;
  /** ε in p(W*) = 1/(‖W*‖ + ε). */
  readonly eps: number;
}

/**
 * RandomNN's learning signal for one parameter (Appendix B.3):
 * g = p(W*) · sign(target − ‖W‖) · sign(‖W‖ − ‖W − W*‖) · W*, p = 1 if ‖W*‖ ≤ 1 else 1/(‖W*‖ + ε).
 * Writes g into `out` and returns the two signs and p (for tests and logs).
 */
export function randomNNSignal(
  W: Float32Array,
  Wstar: Float32Array,
  c: RandomNNConfig,
  out: Float32Array,
): { sDir: number; sRed: number; p: number } {
  let w2 = 0;
  let s2 = 0;
  let d2 = 0;
  for (let i = 0; i < W.length; i++) {
    const w = W[i]!;
    const s = Wstar[i]!;
    w2 += w * w;
    s2 += s * s;
    d2 += (w - s) * (w - s);
  }
  const nW = Math.sqrt(w2);
  const nS = Math.sqrt(s2);
  const p = nS <= 1 ? 1 : 1 / (nS + c.eps);
  const sDir = Math.sign(c.targetNorm - nW);
  const sRed = Math.sign(nW - Math.sqrt(d2));
  const k = p * sDir * sRed;
  for (let i = 0; i < W.length; i++) out[i] = k * Wstar[i]!;
  return { sDir, sRed, p };
}

/**
 * RandomNN's update of one parameter: Δ = η(g − γθ) with g = −G, scaled down to norm `clip`
 * when longer (per-parameter update-norm clip); θ ← θ + Δ. Returns ‖θ‖² after the update;
 * `onNorm` receives ‖Δ‖ before the clip (so a run can say whether the clip ever bound).
 */
export function randomNNUpdate(
  theta: Float32Array,
  G: Float32Array,
  lr: number,
  gamma: number,
  clip: number,
  onNorm?: (preClipNorm: number) => void,
): number {
  let dd = 0;
  for (let i = 0; i < theta.length; i++) {
    const d = lr * (-G[i]! - gamma * theta[i]!);
    dd += d * d;
  }
  const dn = Math.sqrt(dd);
  onNorm?.(dn);
  const scale = dn > clip ? clip / dn : 1;
  let ss = 0;
  for (let i = 0; i < theta.length; i++) {
    const v = theta[i]! + scale * lr * (-G[i]! - gamma * theta[i]!);
    theta[i] = v;
    ss += v * v;
  }
  return ss;
}

/** W* for one parameter: its fixed projection M ([n, k] row-major, N(0,1)) times r ([k]). */
export function projectSignal(M: Float32Array, r: Float32Array, out: Float32Array): Float32Array {
  const k = r.length;
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += M[i * k + j]! * r[j]!;
    out[i] = s;
  }
  return out;
}
