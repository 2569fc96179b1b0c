// The SCE step's math against independent float64 references: softmax cross-entropy gradients
// (with and without batch norm, every activation) by central finite differences, the activations
// and their derivatives, the Hebbian quantities, and the update rules against hand-computed values.
import { beforeAll, describe, expect, it } from 'vitest';
import type * as TF from '@tensorflow/tfjs';
import { initBackend, type Tf } from '../src/ml/backend.ts';
import { hebbianRef, alignments, signOf } from '../src/ml/alignment.ts';
import { rngFor } from '../src/ml/rng.ts';
import { ACTIVATIONS, actDerivative, actForward, actRef, erf, type ActivationName } from '../src/ml/sce/activations.ts';
import { initSceModel, trainedParams, type SceModel } from '../src/ml/sce/model.ts';
import { sceBuffers, sceLogits, sceStep } from '../src/ml/sce/step.ts';
import { normalizedHebbianUpdate, ojaUpdate, sgdDecayUpdate, standardiseColumns } from '../src/ml/sce/rules.ts';
import { ceFromLogits, normalisedCrop, sceAlignments, updateAlignment, windowCurve } from '../src/ml/sce/measure.ts';
import { assembleBatch, standardiseTable } from '../src/ml/sce/data.ts';
import { sameBytes } from './error-measures.ts';

let tf: Tf;
beforeAll(async () => {
  tf = (await initBackend()).tf;
});

// A tiny non-square net (5 → 4 → 3 → 3 classes) so that a transposed gradient cannot pass by accident.
const sizes = [5, 4, 3, 3];
const B = 6;
const C = 3;

/** Batch CE of the model in float64 plain loops (BN in training mode: batch statistics, biased variance). */
function lossRef(m: SceModel, act: ActivationName, x: ArrayLike<number>, labels: number[], eps = 1e-5): number {
  const L = sizes.length - 1;
  let h: number[][] = Array.from({ length: B }, (_, r) => Array.from({ length: sizes[0]! }, (_, j) => x[r * sizes[0]! + j]!));
  for (let l = 0; l < L; l++) {
    const nIn = sizes[l]!;
    const nOut = sizes[l + 1]!;
    const z = h.map((row) => Array.from({ length: nOut }, (_, o) => {
      let s = m.mlp.b[l]![o]!;
      for (let i = 0; i < nIn; i++) s += row[i]! * m.mlp.W[l]![i * nOut + o]!;
      return s;
    }));
    if (l === L - 1) {
      let total = 0;
      z.forEach((row, r) => {
        const mx = Math.max(...row);
        const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0));
        total += lse - row[labels[r]!]!;
      });
      return total / B;
    }
    let u = z;
    if (m.bn) {
      u = z.map((row) => row.slice());
      for (let o = 0; o < nOut; o++) {
        const mu = z.reduce((a, row) => a + row[o]!, 0) / B;
        const v = z.reduce((a, row) => a + (row[o]! - mu) ** 2, 0) / B;
        for (let r = 0; r < B; r++) u[r]![o] = ((z[r]![o]! - mu) / Math.sqrt(v + eps)) * m.bn.scale[l]![o]! + m.bn.shift[l]![o]!;
      }
    }
    h = u.map((row) => row.map((v) => actRef(act, v)));
  }
  throw new Error('unreachable');
}

function setup(seed: number, bn: boolean) {
  const m = initSceModel(sizes, seed, 1.5, bn);
  const rng = rngFor(seed, 'test');
  if (m.bn) m.bn.scale.forEach((s) => rng.fillUniform(s, 0.5, 1.5));
  if (m.bn) m.bn.shift.forEach((s) => rng.fillUniform(s, -0.3, 0.3));
  const x = rng.fillNormal(new Float32Array(B * sizes[0]!));
  const labels = Array.from({ length: B }, (_, r) => r % C);
  const y = new Float32Array(B * C);
  labels.forEach((c, r) => (y[r * C + c] = 1));
  return { m, x, y, labels };
}

describe('SCE step gradients vs finite differences', () => {
  for (const act of ACTIVATIONS) {
    for (const bn of [false, true]) {
      it(`${act}${bn ? ' + batch norm' : ''}: every parameter's ∂L/∂θ and the batch loss`, () => {
        const { m, x, y, labels } = setup(act.length + (bn ? 10 : 0), bn);
        const bufs = sceBuffers(sizes);
        const xt = tf.tensor2d(x, [B, sizes[0]!]);
        const yt = tf.tensor2d(y, [B, C]);
        const r = sceStep(tf, { activation: act, bnEps: 1e-5 }, m, xt, yt, { hebb: false, rule: null, loss: true }, bufs);
        tf.dispose([xt, yt]);
        expect(r.loss).toBeCloseTo(lossRef(m, act, x, labels), 4);
        const grads = [...bufs.gW.flatMap((g, l) => [g, bufs.gb[l]!]), ...(bn ? bufs.gScale.flatMap((g, l) => [g, bufs.gShift[l]!]) : [])];
        const params = trainedParams(m);
        expect(grads.length).toBe(params.length);
        const h = 1e-3;
        let maxErr = 0;
        params.forEach((p, k) => {
          for (let i = 0; i < p.length; i++) {
            const v = p[i]!;
            p[i] = v + h;
            const lp = lossRef(m, act, x, labels);
            p[i] = v - h;
            const lm = lossRef(m, act, x, labels);
            p[i] = v;
            const fd = (lp - lm) / (2 * h);
            maxErr = Math.max(maxErr, Math.abs(fd - grads[k]![i]!) / Math.max(1e-2, Math.abs(fd)));
          }
        });
        expect(maxErr).toBeLessThan(2e-2);
      });
    }
  }

  it('evaluation-mode logits use the running statistics (equal to training mode when they match the batch)', () => {
    const { m, x } = setup(3, true);
    const bufs = sceBuffers(sizes);
    const xt = tf.tensor2d(x, [B, sizes[0]!]);
    const yt = tf.zeros([B, C]) as TF.Tensor2D;
    sceStep(tf, { activation: 'tanh', bnEps: 1e-5 }, m, xt, yt, { hebb: false, rule: null, loss: false }, bufs);
    m.bn!.runMean.forEach((a, l) => a.set(bufs.bnMean[l]!));
    m.bn!.runVar.forEach((a, l) => a.set(bufs.bnVar[l]!));
    const logits = sceLogits(tf, { activation: 'tanh', bnEps: 1e-5 }, m, xt);
    const labels = Array.from({ length: B }, () => 0);
    const ce = ceFromLogits(logits, labels, B, C).ceSum / B;
    expect(ce).toBeCloseTo(lossRef(m, 'tanh', x, labels), 4);
    tf.dispose([xt, yt]);
  });
});

describe('activations', () => {
  const us = [-3, -1.2, -0.3, 0.05, 0.4, 1.1, 2.5];
  for (const act of ACTIVATIONS) {
    it(`${act}: forward matches the reference, derivative matches finite differences`, () => {
      const u = tf.tensor2d(us, [1, us.length]);
      const a = actForward(tf, act, u);
      const d = actDerivative(tf, act, u, a);
      const av = a.dataSync();
      const dv = d.dataSync();
      tf.dispose([u, a, d]);
      us.forEach((x, i) => {
        expect(av[i]).toBeCloseTo(actRef(act, x), 5);
        const fd = (actRef(act, x + 1e-5) - actRef(act, x - 1e-5)) / 2e-5;
        expect(dv[i]).toBeCloseTo(fd, 4);
      });
    });
  }
  it('erf matches known values', () => {
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 12);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 12);
    expect(erf(3.5)).toBeCloseTo(0.9999992569016276, 12);
  });
});

describe('Hebbian quantities of a step', () => {
  it('H is mean z hᵀ (pre-activation); R and q use the post-activation for rule "post"', () => {
    const { m, x, y } = setup(5, false);
    const bufs = sceBuffers(sizes);
    const xt = tf.tensor2d(x, [B, sizes[0]!]);
    const yt = tf.tensor2d(y, [B, C]);
    sceStep(tf, { activation: 'tanh', bnEps: 1e-5 }, m, xt, yt, { hebb: true, rule: 'post', loss: false }, bufs);
    tf.dispose([xt, yt]);
    // Plain-loop forward for layer 1 and 2.
    const z1 = new Float64Array(B * 4);
    for (let r = 0; r < B; r++) for (let o = 0; o < 4; o++) {
      let s = m.mlp.b[0]![o]!;
      for (let i = 0; i < 5; i++) s += x[r * 5 + i]! * m.mlp.W[0]![i * 4 + o]!;
      z1[r * 4 + o] = s;
    }
    const h1 = z1.map(Math.tanh);
    const H1 = hebbianRef(x, z1, B, 5, 4); // [out, in]
    const R1 = hebbianRef(x, h1, B, 5, 4);
    for (let o = 0; o < 4; o++) for (let i = 0; i < 5; i++) {
      expect(bufs.H[0]![i * 4 + o]).toBeCloseTo(H1[o * 5 + i]!, 5);
      expect(bufs.R[0]![i * 4 + o]).toBeCloseTo(R1[o * 5 + i]!, 5);
    }
    for (let o = 0; o < 4; o++) {
      let q = 0;
      for (let r = 0; r < B; r++) q += h1[r * 4 + o]! ** 2 / B;
      expect(bufs.q[0]![o]).toBeCloseTo(q, 5);
    }
  });
});

describe('update rules, hand-computed', () => {
  it('SGD with L2 and L1: θ − η(G + γθ + λ₁ sign θ)', () => {
    const th = Float32Array.from([1, -2, 0]);
    const ss = sgdDecayUpdate(th, Float32Array.from([0.5, 0.5, 1]), 0.1, 0.1, 0.2);
    // 1 − 0.1(0.5 + 0.1 + 0.2) = 0.92; −2 − 0.1(0.5 − 0.2 − 0.2) = −2.01; 0 − 0.1(1) = −0.1
    expect(Array.from(th).map((v) => +v.toFixed(6))).toEqual([0.92, -2.01, -0.1]);
    expect(ss).toBeCloseTo(0.92 ** 2 + 2.01 ** 2 + 0.01, 5);
  });

  it("Oja's rule per unit: Δw_o = η(R_o − q_o w_o − γ w_o)", () => {
    // W [in=2, out=2] row-major: column o = unit o. Unit 0 weights (1, 2), unit 1 weights (3, 4).
    const W = Float32Array.from([1, 3, 2, 4]);
    const R = Float32Array.from([0.5, 1, 0, 2]);
    const q = Float32Array.from([2, 0.5]);
    ojaUpdate(W, R, q, 2, 2, 0.1, 0);
    // unit 0: (1,2) + 0.1((0.5, 0) − 2(1, 2)) = (0.85, 1.6); unit 1: (3,4) + 0.1((1, 2) − 0.5(3, 4)) = (2.95, 4.0)
    expect(Array.from(W).map((v) => +v.toFixed(6))).toEqual([0.85, 2.95, 1.6, 4]);
  });

  it("Oja's rule converges to the unit-norm principal direction (one unit)", () => {
    // Inputs ±(3, 1)/√10·2 and ±(−1, 3)/√10·0.5: principal direction (3, 1)/√10.
    const rng = rngFor(9, 'oja');
    const w = Float32Array.from([0.2, 0.9]);
    for (let t = 0; t < 4000; t++) {
      const a = rng.normal() * 2;
      const b = rng.normal() * 0.5;
      const x = [(3 * a - b) / Math.sqrt(10), (a + 3 * b) / Math.sqrt(10)];
      const yv = w[0]! * x[0]! + w[1]! * x[1]!;
      ojaUpdate(w, Float32Array.from([yv * x[0]!, yv * x[1]!]), Float32Array.from([yv * yv]), 2, 1, 0.01, 0);
    }
    expect(Math.hypot(w[0]!, w[1]!)).toBeCloseTo(1, 1);
    expect(Math.abs(w[0]! * 3 + w[1]!) / Math.sqrt(10) / Math.hypot(w[0]!, w[1]!)).toBeGreaterThan(0.99);
  });

  it('normalised Hebbian: W + ηR, then each column to mean 0 and the target SD', () => {
    // Column 0: (1, 3) + 0.5·(2, 2) = (2, 4) → mean 3, SD 1 → (−1, 1)·0.5. Column 1: (0, 0) + 0.5·(0, 4) = (0, 2) → (−0.5, 0.5).
    const W = Float32Array.from([1, 0, 3, 0]);
    const R = Float32Array.from([2, 0, 2, 4]);
    const ss = normalizedHebbianUpdate(W, R, 2, 2, 0.5, 0, 0.5);
    expect(Array.from(W)).toEqual([-0.5, -0.5, 0.5, 0.5]);
    expect(ss).toBeCloseTo(1, 6);
    const Z = Float32Array.from([2, 2, 2, 2]);
    standardiseColumns(Z, 2, 2, 1); // zero spread: centred, left at 0
    expect(Array.from(Z)).toEqual([0, 0, 0, 0]);
  });
});

describe('measurements', () => {
  it('sceAlignments equals alignments when λ₁ = 0 and adds −λ₁ sign W to the full update', () => {
    const rng = rngFor(1, 'al');
    const G = rng.fillNormal(new Float32Array(50));
    const W = rng.fillNormal(new Float32Array(50));
    const H = rng.fillNormal(new Float32Array(50));
    const a = alignments(G, W, H, 0.3);
    const b = sceAlignments(G, W, H, 0.3, 0);
    expect(b.signal).toBeCloseTo(a.signal, 12);
    expect(b.full).toBeCloseTo(a.full, 12);
    const c = sceAlignments(G, W, H, 0, 0.5);
    const f = Array.from(G, (g, i) => -g - 0.5 * Math.sign(W[i]!));
    const dot = f.reduce((s, v, i) => s + v * H[i]!, 0);
    expect(c.full).toBeCloseTo(dot / Math.hypot(...f) / Math.hypot(...H), 10);
    expect(updateAlignment(Float32Array.from([2, 1]), Float32Array.from([1, 1]), Float32Array.from([-1, 0]))).toBeCloseTo(1, 12);
  });

  it('windowCurve: mean and SD over (s − w, s], brute force', () => {
    const steps = [1, 2, 4, 5, 7, 8, 9, 10];
    const vals = [0.1, 0.5, NaN, -0.2, 0.3, 0.9, 0.4, 0.0];
    const at = [2, 5, 10];
    const w = 4;
    const got = windowCurve(steps, vals, at, w);
    at.forEach((s, k) => {
      const xs = vals.filter((v, i) => steps[i]! > s - w && steps[i]! <= s && Number.isFinite(v));
      const m = xs.reduce((a, v) => a + v, 0) / xs.length;
      expect(got.mean[k]).toBeCloseTo(m, 12);
      expect(got.sd[k]).toBeCloseTo(Math.sqrt(xs.reduce((a, v) => a + (v - m) ** 2, 0) / xs.length), 10);
    });
  });

  it('normalisedCrop is in [out][in] orientation and divided by the whole-matrix norm', () => {
    const A = Float32Array.from([3, 0, 0, 4]); // [in=2, out=2]
    expect(normalisedCrop(A, 2, 2, 1)).toEqual([[0.6]]);
    const B2 = Float32Array.from([1, 2, 3, 4, 5, 6]); // in=2, out=3: W[i][o]
    const crop = normalisedCrop(B2, 2, 3, 2);
    const n = Math.hypot(1, 2, 3, 4, 5, 6);
    expect(crop[1]![0]).toBeCloseTo(2 / n, 6); // out 1, in 0
    expect(crop[0]![1]).toBeCloseTo(4 / n, 6); // out 0, in 1
  });

  it('ceFromLogits and the standardisation table', () => {
    const r = ceFromLogits(Float32Array.from([0, Math.log(3), 2, 0]), [1, 1], 2, 2);
    expect(r.correct).toBe(1);
    expect(r.ceSum).toBeCloseTo(Math.log(4 / 3) + Math.log(1 + Math.exp(2)), 5);
    const lut = standardiseTable([100, 50, 0], [10, 5, 1]);
    const images = new Uint8Array(3072);
    images[0] = 110; // R plane
    images[1024] = 40; // G plane
    images[2048] = 3; // B plane
    const x = new Float32Array(3072);
    const yv = new Float32Array(10);
    assembleBatch({ images, labels: Uint8Array.from([7]), n: 1, dim: 3072 }, [0], lut, x, yv, 10);
    expect([x[0], x[1024], x[2048], x[1]]).toEqual([1, -2, 3, -10]);
    expect(yv[7]).toBe(1);
  });

  it('assembleBatch reads four pixels a word where the layout allows, a byte at a time elsewhere, with the same values', () => {
    const lut = standardiseTable([100, 50, 20], [10, 5, 3]);
    const reference = (images: Uint8Array, dim: number, idx: number[]): Float32Array => {
      const plane = dim / 3;
      const out = new Float32Array(idx.length * dim);
      idx.forEach((k, r) => { for (let j = 0; j < dim; j++) out[r * dim + j] = lut[Math.floor(j / plane) * 256 + images[k * dim + j]!]!; });
      return out;
    };
    const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);
    const idx = [4, 0, 2, 2];
    // dim 48 (planes of 16: words), dim 75 (planes of 25: bytes), and dim 48 at an odd byte offset (bytes).
    const cases: [string, Uint8Array, number][] = [['aligned', bytes(5 * 48), 48], ['odd plane', bytes(5 * 75), 75], ['odd offset', bytes(5 * 48 + 1).subarray(1), 48]];
    for (const [name, images, dim] of cases) {
      const x = new Float32Array(idx.length * dim).fill(NaN);
      const y = new Float32Array(idx.length * 4);
      assembleBatch({ images, labels: Uint8Array.from([0, 1, 2, 3, 0]), n: 5, dim }, idx, lut, x, y, 4);
      expect(sameBytes(x, reference(images, dim, idx)), name).toBe(true);
      expect(Array.from(y), name).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
    }
  });

  it('signOf is Math.sign on every value (±0 keep their sign, NaN stays NaN), and the SGD update keeps its bytes', () => {
    const specials = [0, -0, 1e-30, -1e-30, 0.5, -0.5, NaN, Infinity, -Infinity, 1e-45, -1e-45, 3, -7];
    for (const w of specials) expect(Object.is(signOf(w), Math.sign(w)), String(w)).toBe(true);
    // The update against its former form (Math.sign), on the specials and random weights, with and without L1.
    const former = (theta: Float32Array, G: Float32Array, lr: number, l2: number, l1: number): number => {
      let ss = 0;
      for (let i = 0; i < theta.length; i++) {
        const w = theta[i]!;
        const v = w - lr * (G[i]! + l2 * w + l1 * Math.sign(w));
        theta[i] = v;
        ss += v * v;
      }
      return ss;
    };
    const rand = rngFor(3, 'sign').fillUniform(new Float32Array(1000), -1, 1);
    for (const g of [0, -0, 1e-3, NaN]) for (const l1 of [0, 1e-4]) {
      const w0 = Float32Array.from([...specials, ...rand]);
      const G = new Float32Array(w0.length).fill(g);
      const a = Float32Array.from(w0);
      const b = Float32Array.from(w0);
      const sa = sgdDecayUpdate(a, G, 0.01, 5e-4, l1);
      const sb = former(b, G, 0.01, 5e-4, l1);
      expect(sameBytes(a, b), `G ${g}, λ₁ ${l1}`).toBe(true);
      expect(Object.is(sa, sb)).toBe(true);
    }
  });
});
