// The math of one step against independent references: finite-difference gradients, a
// plain-loop Hebbian update and cosine, a hand-computed DFA update, RandomNN's sign logic.
import { beforeAll, describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { initBackend, type Tf } from '../src/ml/backend.ts';
import { forwardRef, initMlp, type MlpParams } from '../src/ml/mlp.ts';
import { mlpStep, stepBuffers } from '../src/ml/mlp-tf.ts';
import { rngFor } from '../src/ml/rng.ts';
import { alignments, balance, cosine, hebbianRef, mean } from '../src/ml/alignment.ts';
import { clipGlobalNorm, randomNNSignal, randomNNUpdate, sgdUpdate, norm, adamUpdate } from '../src/ml/rules.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await initBackend()).tf;
});

/** MSE (mean over batch × outputs) in float64. */
function lossRef(p: MlpParams, x: Float32Array, y: Float32Array, n: number): number {
  const { h } = forwardRef(p, x, n);
  const out = h[h.length - 1]!;
  let s = 0;
  for (let i = 0; i < out.length; i++) s += (out[i]! - y[i]!) ** 2;
  return s / out.length;
}

// A tiny non-square network so that a transposed gradient or H cannot pass by accident.
const sizes = [3, 5, 4, 2];
const B = 6;
function tiny(): { p: MlpParams; x: Float32Array; y: Float32Array } {
  const rng = rngFor(42, 'test');
  const p = initMlp(sizes, rng, 2); // larger init so tanh is not linear
  const x = rng.fillNormal(new Float32Array(B * sizes[0]!));
  const y = rng.fillNormal(new Float32Array(B * sizes[sizes.length - 1]!));
  return { p, x, y };
}
function tensors(x: Float32Array, y: Float32Array): [TF.Tensor2D, TF.Tensor2D] {
  return [tf.tensor2d(x, [B, sizes[0]!]), tf.tensor2d(y, [B, sizes[sizes.length - 1]!])];
}

describe('backprop step', () => {
  it('every layer’s weight and bias gradient matches central finite differences (float64)', () => {
    const { p, x, y } = tiny();
    const [xt, yt] = tensors(x, y);
    const bufs = stepBuffers(sizes);
    const loss = mlpStep(tf, p, xt, yt, { mode: 'bp', hebb: false, loss: true }, bufs);
    expect(loss).toBeCloseTo(lossRef(p, x, y, B), 5);
    const eps = 1e-3;
    for (let l = 0; l < sizes.length - 1; l++) {
      for (const [arr, grad] of [
        [p.W[l]!, bufs.gW[l]!],
        [p.b[l]!, bufs.gb[l]!],
      ] as const) {
        for (let i = 0; i < arr.length; i++) {
          const v = arr[i]!;
          // Perturb a float64 copy: float32 storage would round the perturbation.
          const plus = { ...p, W: p.W.map((w) => Float64Array.from(w)), b: p.b.map((b) => Float64Array.from(b)) };
          const minus = { ...p, W: p.W.map((w) => Float64Array.from(w)), b: p.b.map((b) => Float64Array.from(b)) };
          const target = arr === p.W[l] ? 'W' : 'b';
          plus[target][l]![i] = v + eps;
          minus[target][l]![i] = v - eps;
          const fd = (lossRef(plus as unknown as MlpParams, x, y, B) - lossRef(minus as unknown as MlpParams, x, y, B)) / (2 * eps);
          expect(Math.abs(grad[i]! - fd), `${target}${l + 1}[${i}]: analytic ${grad[i]} vs fd ${fd}`).toBeLessThan(2e-4 + 2e-3 * Math.abs(fd));
        }
      }
    }
    tf.dispose([xt, yt]);
  });

  it('H is the batch mean of h_b h_aᵀ with h_b the pre-activation (bias included) and h_a the previous post-activation', () => {
    const { p, x, y } = tiny();
    const [xt, yt] = tensors(x, y);
    const bufs = stepBuffers(sizes);
    mlpStep(tf, p, xt, yt, { mode: 'bp', hebb: true, loss: false }, bufs);
    const { z, h } = forwardRef(p, x, B);
    for (let l = 0; l < sizes.length - 1; l++) {
      const nIn = sizes[l]!;
      const nOut = sizes[l + 1]!;
      const ref = hebbianRef(h[l]!, z[l]!, B, nIn, nOut); // [out, in]
      // Our H is stored [in, out] like W: H[k*nOut + j] is the paper's H[j][k].
      for (let j = 0; j < nOut; j++) {
        for (let k = 0; k < nIn; k++) expect(bufs.H[l]![k * nOut + j]!).toBeCloseTo(ref[j * nIn + k]!, 4);
      }
    }
    tf.dispose([xt, yt]);
  });
});

describe('alignment', () => {
  it('cosine and both alignments match a plain loop, with the learning signal g = −G', () => {
    const G = [1, -2, 0.5, 3, 0, -1];
    const W = [0.2, 0.1, -0.3, 0.4, 1, -0.5];
    const H = [-0.5, 1, 2, -1, 0.3, 0.7];
    const gamma = 0.3;
    const g = G.map((v) => -v);
    const f = g.map((v, i) => v - gamma * W[i]!);
    const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
    const cos = (a: number[], b: number[]) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
    const a = alignments(G, W, H, gamma);
    expect(a.signal).toBeCloseTo(cos(g, H), 12);
    expect(a.full).toBeCloseTo(cos(f, H), 12);
    expect(cosine(g, H)).toBeCloseTo(cos(g, H), 12);
    // Sign: a descent direction G = −H is perfectly Hebbian.
    expect(alignments(H.map((v) => -v), W, H, 0).signal).toBeCloseTo(1, 12);
    expect(alignments(H, W, H, 0).signal).toBeCloseTo(-1, 12);
  });

  it('hebbianRef orients H as h_b h_aᵀ and averages over the batch', () => {
    // Batch of 2, n_in = 2, n_out = 3.
    const ha = [1, 2, 3, 4];
    const hb = [1, 0, -1, 2, 1, 0];
    const H = Array.from(hebbianRef(ha, hb, 2, 2, 3));
    // Row i, column j: mean_s hb[s][i] * ha[s][j].
    expect(H).toEqual([(1 * 1 + 2 * 3) / 2, (1 * 2 + 2 * 4) / 2, (0 + 1 * 3) / 2, (0 + 1 * 4) / 2, (-1 * 1 + 0) / 2, (-1 * 2 + 0) / 2]);
  });

  it('mean ignores non-finite values; balance is zero at perfect balance and null at γ = 0', () => {
    expect(mean([0.5, 0.7, NaN])).toBeCloseTo(0.6, 12);
    expect(balance([0.1, 0.2], [10, 20], 0.01)).toBeCloseTo(0, 12);
    expect(balance([0.1, 0.2], [10, 20], 0)).toBeNull();
    expect(balance([-0.1, -0.2], [10, 20], 0.01)).toBeCloseTo(1, 12);
  });
});

describe('DFA', () => {
  it('matches a hand-computed update on a 2-layer network, including the global clip', () => {
    // sizes [2, 2, 1], one example.
    const p: MlpParams = {
      sizes: [2, 2, 1],
      W: [Float32Array.from([0.5, -0.25, 0.1, 0.3]), Float32Array.from([0.7, -0.4])], // W1 [in=2, out=2]
      b: [Float32Array.from([0.05, -0.1]), Float32Array.from([0.2])],
    };
    const x = [1, -2];
    const y = 0.5;
    const Bfb = [0.6, -0.9]; // B_1 [2, 1], stored transposed as [1, 2]
    // Forward by hand.
    const z1 = [1 * 0.5 + -2 * 0.1 + 0.05, 1 * -0.25 + -2 * 0.3 - 0.1];
    const h1 = z1.map(Math.tanh);
    const out = h1[0]! * 0.7 + h1[1]! * -0.4 + 0.2;
    const e = 2 * (out - y); // MSE over 1 × 1
    const d1 = [Bfb[0]! * e * (1 - h1[0]! ** 2), Bfb[1]! * e * (1 - h1[1]! ** 2)];
    const gW1 = [x[0]! * d1[0]!, x[0]! * d1[1]!, x[1]! * d1[0]!, x[1]! * d1[1]!]; // [in, out]
    const gW2 = [h1[0]! * e, h1[1]! * e];
    const bufs = stepBuffers(p.sizes);
    const fb = tf.tensor2d(Bfb, [1, 2]);
    const [xt, yt] = [tf.tensor2d(x, [1, 2]), tf.tensor2d([y], [1, 1])];
    mlpStep(tf, p, xt, yt, { mode: 'dfa', feedback: [fb], hebb: false, loss: false }, bufs);
    expect(Array.from(bufs.gW[0]!)).toEqual(gW1.map((v) => expect.closeTo(v, 6)));
    expect(Array.from(bufs.gb[0]!)).toEqual(d1.map((v) => expect.closeTo(v, 6)));
    expect(Array.from(bufs.gW[1]!)).toEqual(gW2.map((v) => expect.closeTo(v, 6)));
    expect(bufs.gb[1]![0]!).toBeCloseTo(e, 6);
    // Global clip to 0.1 (smaller than the total norm), then ΔW = −η(δ h_aᵀ + γW).
    const all = [...gW1, ...d1, ...gW2, e];
    const total = Math.sqrt(all.reduce((s, v) => s + v * v, 0));
    expect(total).toBeGreaterThan(0.1);
    expect(clipGlobalNorm([...bufs.gW, ...bufs.gb], 0.1)).toBeCloseTo(total, 5);
    const k = 0.1 / (total + 1e-6);
    const W1 = Array.from(p.W[0]!);
    sgdUpdate(p.W[0]!, bufs.gW[0]!, 0.5, 0.01);
    expect(Array.from(p.W[0]!)).toEqual(W1.map((w, i) => expect.closeTo(w - 0.5 * (k * gW1[i]! + 0.01 * w), 6)));
    tf.dispose([fb, xt, yt]);
  });
});

describe('RandomNN', () => {
  const c = { targetNorm: 100, clip: 1, eps: 1e-8 };
  const Wstar = Float32Array.from([3, 4]); // ‖W*‖ = 5 → p = 1/5
  const cases: Array<[string, number[], number]> = [
    // [case, W, expected sign of g relative to W*]
    ['‖W‖ < 100, W* aligned with W: add W* (grows)', [30, 40], +1],
    ['‖W‖ < 100, W* against W: subtract W* (grows)', [-30, -40], -1],
    ['‖W‖ > 100, W* aligned with W: subtract W* (shrinks)', [300, 400], -1],
    ['‖W‖ > 100, W* against W: add W* (shrinks)', [-300, -400], +1],
  ];
  for (const [name, W, sign] of cases) {
    it(name, () => {
      const out = new Float32Array(2);
      const r = randomNNSignal(Float32Array.from(W), Wstar, c, out);
      expect(r.p).toBeCloseTo(1 / 5, 9);
      expect(r.sDir * r.sRed).toBe(sign);
      expect(Array.from(out)).toEqual([expect.closeTo((sign * 3) / 5, 6), expect.closeTo((sign * 4) / 5, 6)]);
      // The resulting step moves ‖W‖ towards the target.
      const after = norm(W.map((w, i) => w + out[i]!));
      expect(Math.abs(after - 100)).toBeLessThan(Math.abs(norm(W) - 100));
    });
  }

  it('p = 1 when ‖W*‖ ≤ 1', () => {
    const out = new Float32Array(2);
    expect(randomNNSignal(Float32Array.from([1, 1]), Float32Array.from([0.3, 0.4]), c, out).p).toBe(1);
    expect(Array.from(out)).toEqual([expect.closeTo(0.3, 6), expect.closeTo(0.4, 6)]);
  });

  it('clips each parameter’s update to norm 1 and leaves shorter updates alone', () => {
    const theta = Float32Array.from([0, 0, 0]);
    randomNNUpdate(theta, Float32Array.from([-30, 0, -40]), 1, 0, 1); // Δ = η g = (30, 0, 40), norm 50
    expect(Array.from(theta)).toEqual([expect.closeTo(0.6, 6), 0, expect.closeTo(0.8, 6)]);
    const small = Float32Array.from([1, 2]);
    randomNNUpdate(small, Float32Array.from([-0.1, 0]), 0.5, 0.1, 1); // Δ = 0.5(g − 0.1θ)
    expect(Array.from(small)).toEqual([expect.closeTo(1 + 0.5 * (0.1 - 0.1), 6), expect.closeTo(2 + 0.5 * (0 - 0.2), 6)]);
  });
});

describe('Adam', () => {
  it('follows torch.optim.Adam with coupled L2 for two steps', () => {
    const theta = Float32Array.from([1, -2]);
    const s = { m: new Float32Array(2), v: new Float32Array(2) };
    const cfg = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    const ref = [1, -2];
    const m = [0, 0];
    const v = [0, 0];
    for (let t = 1; t <= 2; t++) {
      const G = Float32Array.from([0.5 * t, -0.1]);
      adamUpdate(theta, G, s, t, 0.01, 0.1, cfg);
      for (let i = 0; i < 2; i++) {
        const g = G[i]! + 0.1 * ref[i]!;
        m[i] = 0.9 * m[i]! + 0.1 * g;
        v[i] = 0.999 * v[i]! + 0.001 * g * g;
        const mh = m[i]! / (1 - 0.9 ** t);
        const vh = v[i]! / (1 - 0.999 ** t);
        ref[i] = ref[i]! - (0.01 * mh) / (Math.sqrt(vh) + 1e-8);
      }
      expect(Array.from(theta)).toEqual(ref.map((r) => expect.closeTo(r, 6)));
    }
  });
});
