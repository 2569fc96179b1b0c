// The SCE step's kernels (src/ml/transformer/assembly/sce.ts and native/sce.cc: softmax CE with
// its gradient, argmax hits, batch norm forward in both modes and backward, sigmoid and exact GELU
// with their derivatives, column sums of squares) of each build against float64 loops, on shapes
// hitting every vector tail. The native build's cases are skipped, with the reason in the suite's
// name, where the addon is not built (both builds are named explicitly: HEBB_KERNELS does not matter).
import { describe, expect, it } from 'vitest';
import { worst, relErr } from './error-measures.ts';
import { rngFor } from '../src/ml/rng.ts';
import { erf } from '../src/ml/sce/activations.ts';
import { bindNative, loadNativeAddon, nativeTag } from '../src/ml/transformer/native.ts';
import { simdModule } from '../src/ml/transformer/simd.ts';
import { simdOnArrays } from './simd-harness.ts';

const loaded = loadNativeAddon();
const mod = await simdModule();
const builds: { name: string; k: ReturnType<typeof simdOnArrays> }[] = [{ name: 'wasm', k: simdOnArrays(mod) }];
if (loaded.ok) builds.push({ name: nativeTag(loaded.value.info), k: simdOnArrays(mod, (m) => bindNative(loaded.value, m)) });
const skipped = loaded.ok ? '' : ` (native skipped: ${loaded.error})`;

const rand = (n: number, seed: number, mean = 0, sd = 1): Float32Array => rngFor(seed, 'sce-kernels').fillNormal(new Float32Array(n), mean, sd);

/** erfc(x), x ≥ 0, in float64 without cancellation: 1 − erf(x) below 3, the continued fraction (as activations.ts `erf`) above. */
function erfcPos(x: number): number {
  if (x < 3) return 1 - erf(x);
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}
/** Φ(u) in float64, the left tail through erfc (activations.ts `actRef` takes 1 + erf, which cancels to 0 below u ≈ −8). */
const Phi = (u: number): number => (u < 0 ? 0.5 * erfcPos(-u / Math.SQRT2) : 1 - 0.5 * erfcPos(u / Math.SQRT2));
const SHAPES = [[1, 1], [1, 3], [2, 4], [7, 5], [5, 13], [3, 10], [64, 10], [256, 128], [37, 9]] as const;

describe.each(builds)(`SCE kernels, $name build${skipped}`, ({ k }) => {
  it('softmaxCeGrad: (softmax − y)·scale and Σ CE against float64, one-hot and soft targets, large logits', () => {
    for (const [rows, C] of SHAPES) {
      for (const soft of [false, true]) {
        const logits = rand(rows * C, rows * 31 + C, 0, soft ? 30 : 3);
        const y = new Float32Array(rows * C);
        const r = rngFor(rows + C, 'y');
        for (let i = 0; i < rows; i++) {
          if (soft) {
            const w = r.fillUniform(new Float32Array(C), 0, 1);
            const s = w.reduce((a, v) => a + v, 0);
            w.forEach((v, c) => (y[i * C + c] = v / s));
          } else y[i * C + r.int(C)] = 1;
        }
        const delta = new Float32Array(rows * C);
        const scale = 1 / rows;
        const ce = k.softmaxCeGrad(logits, y, delta, rows, C, scale);
        const refD = new Float64Array(rows * C);
        let refCe = 0;
        for (let i = 0; i < rows; i++) {
          const row = Array.from(logits.subarray(i * C, (i + 1) * C));
          const mx = Math.max(...row);
          const se = row.reduce((a, v) => a + Math.exp(v - mx), 0);
          row.forEach((v, c) => {
            refD[i * C + c] = (Math.exp(v - mx) / se - y[i * C + c]!) * scale;
            refCe += y[i * C + c]! * (mx + Math.log(se) - v);
          });
        }
        expect(worst(Float64Array.from(delta, (v) => v / scale), refD.map((v) => v / scale)), `${rows}×${C} soft=${soft}`).toBeLessThan(1e-6);
        expect(Math.abs(ce - refCe) / Math.max(1, refCe), `${rows}×${C} soft=${soft}`).toBeLessThan(1e-6);
      }
    }
  });

  it('softmaxCeGrad: a NaN logit makes its row and the sum NaN, other rows untouched', () => {
    const logits = Float32Array.from([1, 2, 3, 1, NaN, 3, 0, 0, 0]);
    const y = Float32Array.from([0, 0, 1, 1, 0, 0, 0, 1, 0]);
    const delta = new Float32Array(9);
    expect(k.softmaxCeGrad(logits, y, delta, 3, 3, 1)).toBeNaN();
    expect(Array.from(delta.subarray(3, 6)).every(Number.isNaN)).toBe(true);
    expect(Array.from(delta.subarray(6, 9)).some(Number.isNaN)).toBe(false);
    expect(delta[7]).toBeCloseTo(1 / 3 - 1, 6);
  });

  it('argmaxHits: rows whose first argmax agrees (ties go to the first column)', () => {
    const C = 5;
    const a = rand(97 * C, 1);
    const b = rand(97 * C, 2);
    for (let i = 0; i < 97; i += 3) b.set(a.subarray(i * C, (i + 1) * C), i * C); // every third row agrees
    a.set([2, 0, 2, 1, 1], 0); // a tie: column 0 wins
    b.set([0, 0, 0, 0, 0], 0); // all equal: column 0
    const first = (x: Float32Array, i: number): number => {
      let m = 0;
      for (let c = 1; c < C; c++) if (x[i * C + c]! > x[i * C + m]!) m = c;
      return m;
    };
    let ref = 0;
    for (let i = 0; i < 97; i++) if (first(a, i) === first(b, i)) ref++;
    expect(ref).toBeGreaterThanOrEqual(33);
    expect(k.argmaxHits(a, b, 97, C)).toBe(ref);
  });

  it('batchNormForward: batch statistics (training) and given running statistics (evaluation) against float64', () => {
    for (const [rows, cols] of SHAPES) {
      const z = rand(rows * cols, rows + 100 * cols, 3, 2);
      const scale = rand(cols, 5, 1, 0.3);
      const shift = rand(cols, 6, 0, 0.3);
      const eps = 1e-5;
      const [mean, variance, inv] = [new Float32Array(cols), new Float32Array(cols), new Float32Array(cols)];
      const [zhat, u] = [new Float32Array(rows * cols), new Float32Array(rows * cols)];
      k.batchNormForward(z, scale, shift, rows, cols, mean, variance, inv, zhat, u, eps, true);
      const rm = new Float64Array(cols);
      const rv = new Float64Array(cols);
      for (let c = 0; c < cols; c++) {
        for (let r = 0; r < rows; r++) rm[c] = rm[c]! + z[r * cols + c]! / rows;
        for (let r = 0; r < rows; r++) rv[c] = rv[c]! + (z[r * cols + c]! - rm[c]!) ** 2 / rows;
      }
      const refU = new Float64Array(rows * cols);
      const refZhat = new Float64Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          refZhat[r * cols + c] = (z[r * cols + c]! - rm[c]!) / Math.sqrt(rv[c]! + eps);
          refU[r * cols + c] = refZhat[r * cols + c]! * scale[c]! + shift[c]!;
        }
      }
      const what = `${rows}×${cols}`;
      expect(worst(mean, rm), what).toBeLessThan(2e-6);
      expect(worst(variance, rv), what).toBeLessThan(1e-5);
      expect(worst(inv, Float64Array.from(rv, (v) => 1 / Math.sqrt(v + eps))), what).toBeLessThan(rows === 1 ? 1e-6 : 1e-5);
      expect(worst(zhat, refZhat), what).toBeLessThan(rows === 1 ? 1e-6 : 2e-5);
      expect(worst(u, refU), what).toBeLessThan(rows === 1 ? 1e-6 : 2e-5);

      // evaluation: the given statistics are used and left as they were
      const runMean = rand(cols, 7, 3, 0.5);
      const runVar = Float32Array.from(rand(cols, 8), (v) => 1 + v * v);
      const [m2, v2] = [runMean.slice(), runVar.slice()];
      k.batchNormForward(z, scale, shift, rows, cols, m2, v2, inv, zhat, u, eps, false);
      expect(m2).toEqual(runMean);
      expect(v2).toEqual(runVar);
      const evalU = Float64Array.from(u, (_, i) => ((z[i]! - runMean[i % cols]!) / Math.sqrt(runVar[i % cols]! + eps)) * scale[i % cols]! + shift[i % cols]!);
      expect(worst(u, evalU), `${what} eval`).toBeLessThan(2e-6);
    }
  });

  it('batchNormBackward: gShift, gScale and ∂L/∂z against float64 (also in place)', () => {
    for (const [rows, cols] of SHAPES) {
      const du = rand(rows * cols, rows * 7 + cols);
      const zhat = rand(rows * cols, rows * 11 + cols);
      const inv = Float32Array.from(rand(cols, 3), (v) => 0.5 + Math.abs(v));
      const scale = rand(cols, 4, 1, 0.3);
      const gS = new Float64Array(cols);
      const gT = new Float64Array(cols);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          gT[c] = gT[c]! + du[r * cols + c]!;
          gS[c] = gS[c]! + du[r * cols + c]! * zhat[r * cols + c]!;
        }
      }
      const refDz = Float64Array.from(du, (d, i) => {
        const c = i % cols;
        return (inv[c]! / rows) * (rows * d * scale[c]! - gT[c]! * scale[c]! - zhat[i]! * gS[c]! * scale[c]!);
      });
      const dz = new Float32Array(rows * cols);
      const [gScale, gShift] = [new Float32Array(cols), new Float32Array(cols)];
      k.batchNormBackward(du, zhat, inv, scale, rows, cols, dz, gScale, gShift);
      const what = `${rows}×${cols}`;
      expect(worst(gShift, gT), what).toBeLessThan(2e-5);
      expect(worst(gScale, gS), what).toBeLessThan(2e-5);
      expect(relErr(dz, refDz), what).toBeLessThan(2e-5);
    }
  });

  it('sigmoidForward against float64: relative error < 5e-7 over ±30, ±0, ±∞, NaN; sigmoidBackward d ⊙ h(1 − h)', () => {
    const xs = [0, -0, 1e-30, -1e-8, 0.5, -0.5, 17, -17, 30, -30, 88, Infinity, -Infinity, NaN];
    const grid = Array.from({ length: 4003 }, (_, i) => -30 + (60 * i) / 4002);
    const u = Float32Array.from([...xs, ...grid]);
    const h = new Float32Array(u.length);
    k.sigmoidForward(u, h, u.length);
    for (let i = 0; i < u.length; i++) {
      const t = 1 / (1 + Math.exp(-u[i]!));
      if (Number.isNaN(t)) expect(h[i]).toBeNaN();
      else expect(Math.abs(h[i]! - t), `σ(${u[i]})`).toBeLessThanOrEqual(5e-7 * t + 1e-37);
    }
    const n = 1003;
    const d = rand(n, 9);
    const hv = rngFor(10, 'h').fillUniform(new Float32Array(n), 0, 1);
    const ref = Float64Array.from(d, (v, i) => v * hv[i]! * (1 - hv[i]!));
    k.sigmoidBackward(d, hv, n);
    expect(worst(d, ref)).toBeLessThan(1e-6);
  });

  it('geluForward = u Φ(u) (exact erf GELU) and geluBackward = d ⊙ (Φ + u φ) against float64', () => {
    const xs = [0, -0, 1e-20, -1e-6, 0.3, -0.3, 3, -3, 6, -6, 9, -9, 40, -40];
    const grid = Array.from({ length: 6003 }, (_, i) => -10 + (20 * i) / 6002);
    const u = Float32Array.from([...xs, ...grid]);
    const h = new Float32Array(u.length);
    k.geluForward(u, h, u.length);
    for (let i = 0; i < u.length; i++) {
      const x = u[i]!;
      const t = x * Phi(x);
      // relative accuracy in both tails (the left one through erfc, not 1 + erf); the f32 exponent −u²/2 is good to ~ε·u²
      expect(Math.abs(h[i]! - t), `gelu(${x})`).toBeLessThanOrEqual((1e-6 + 2e-7 * x * x) * Math.abs(t) + 1e-37);
    }
    const d = rand(u.length, 11);
    const ref = Float64Array.from(d, (v, i) => {
      const x = u[i]!;
      return v * (Phi(x) + (x * Math.exp(-x * x / 2)) / Math.sqrt(2 * Math.PI));
    });
    k.geluBackward(d, u, u.length);
    expect(worst(d, ref)).toBeLessThan(1e-6);
  });

  it('colSumSq: scale · Σ_rows a² per column against float64', () => {
    for (const [rows, cols] of SHAPES) {
      const a = rand(rows * cols, rows + cols * 3);
      const out = new Float32Array(cols);
      k.colSumSq(a, rows, cols, out, 1 / rows);
      const ref = new Float64Array(cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) ref[c] = ref[c]! + a[r * cols + c]! ** 2 / rows;
      expect(worst(out, ref), `${rows}×${cols}`).toBeLessThan(2e-6);
    }
  });
});
