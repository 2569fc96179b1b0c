// The SRE transformer's math against independent references: central finite differences in
// float64 (ref64.ts), the plain tfjs formulation with autograd (twin.ts), and plain loops for
// LayerNorm, the mean pool and H. Small instances: the whole file runs in seconds.
import { beforeAll, describe, expect, it } from 'vitest';
import { relErr } from './error-measures.ts';
import type * as TF from '@tensorflow/tfjs';
import { initBackend, type Tf } from '../src/ml/backend.ts';
import { rngFor } from '../src/ml/rng.ts';
import { hebbianRef } from '../src/ml/alignment.ts';
import { simdOnArrays } from './simd-harness.ts';
import { initTransformer, matrixNames, numel, paramSpecs, SRE_TRANSFORMER, transformerFromJson, transformerToJson, type TransformerConfig } from '../src/ml/transformer/model.ts';
import { attention64, forward64 } from '../src/ml/transformer/ref64.ts';
import { simdModule } from '../src/ml/transformer/simd.ts';
import { forward, gradBuffers, transformerStep, workspace } from '../src/ml/transformer/step.ts';
import { addLayerNormTf, attentionCoreTf, meanPoolTf, oneHot, twinEncoder, twinForward, twinLossAndGrads } from '../src/ml/transformer/twin.ts';
import { dfaFeedback } from '../src/ml/transformer/train.ts';

let tf: Tf;
let mod: WebAssembly.Module;
let k: ReturnType<typeof simdOnArrays>;
beforeAll(async () => {
  tf = (await initBackend()).tf;
  mod = await simdModule();
  k = simdOnArrays(mod);
});

function batchFor(c: TransformerConfig, B: number, seed: number): { tokens: Int32Array; y: Float32Array } {
  const r = rngFor(seed, 'batch');
  const tokens = new Int32Array(B * c.seqLen).map(() => r.int(c.vocab));
  return { tokens, y: r.fillNormal(new Float32Array(B * c.head[c.head.length - 1]!)) };
}

/** A tiny, non-square model: 2 tokens, 1 head of d = 4, so a transposed or misplaced term cannot pass. */
const TINY: TransformerConfig = { vocab: 3, seqLen: 2, dModel: 4, heads: 1, dFF: 5, layers: 1, head: [4, 6, 3] };

describe('attention core kernel', () => {
  it('its gradient matches central finite differences on 2 tokens, 1 head, d = 4 (float64 reference)', () => {
    const [B, T, C, H] = [1, 2, 4, 1];
    const r = rngFor(7, 'att');
    const qkv = r.fillNormal(new Float32Array(B * T * 3 * C), 0, 1.5);
    const dy = r.fillNormal(new Float32Array(B * T * C));
    const y = new Float32Array(B * T * C);
    const P = new Float32Array(B * H * T * T);
    k.attentionForward(qkv, B, T, C, H, y, P);
    expect(relErr(y, attention64(qkv, T, C, H))).toBeLessThan(1e-6);
    const dqkv = new Float32Array(qkv.length);
    k.attentionBackward(qkv, P, dy, B, T, C, H, dqkv);
    const L = (q: Float64Array): number => attention64(q, T, C, H).reduce((s, v, i) => s + v * dy[i]!, 0);
    const eps = 1e-5;
    const fd = new Float64Array(qkv.length);
    for (let i = 0; i < qkv.length; i++) {
      const plus = Float64Array.from(qkv);
      const minus = Float64Array.from(qkv);
      plus[i] = plus[i]! + eps;
      minus[i] = minus[i]! - eps;
      fd[i] = (L(plus) - L(minus)) / (2 * eps);
    }
    expect(relErr(dqkv, fd)).toBeLessThan(1e-5);
    // The query, key and value parts all carry gradient (none is silently zero).
    for (const part of [0, 1, 2]) expect(Math.hypot(...Array.from(dqkv).filter((_, i) => Math.floor((i % (3 * C)) / C) === part))).toBeGreaterThan(1e-3);
  });

  it.each([7, 8, 32])('d = 8, T = %i (the SIMD path when T is a multiple of 4) matches the plain tfjs formulation: output and gradient', (T) => {
    const [B, C, H] = [3, 32, 4];
    const r = rngFor(8, 'att8');
    const qkv = r.fillNormal(new Float32Array(B * T * 3 * C));
    const dy = r.fillNormal(new Float32Array(B * T * C));
    const y = new Float32Array(B * T * C);
    const P = new Float32Array(B * H * T * T);
    k.attentionForward(qkv, B, T, C, H, y, P);
    const dqkv = new Float32Array(qkv.length);
    k.attentionBackward(qkv, P, dy, B, T, C, H, dqkv);
    const q = tf.tensor2d(qkv, [B * T, 3 * C]);
    const dyt = tf.tensor2d(dy, [B * T, C]);
    const yt = attentionCoreTf(tf, q, B, T, C, H);
    const g = tf.grad((x: TF.Tensor) => tf.sum(tf.mul(attentionCoreTf(tf, x as TF.Tensor2D, B, T, C, H), dyt)))(q);
    expect(relErr(y, yt.dataSync())).toBeLessThan(1e-6);
    expect(relErr(dqkv, g.dataSync())).toBeLessThan(1e-5);
    tf.dispose([q, dyt, yt, g]);
  });

  it("the softmax's exp is within float32 precision of Math.exp on [−87, 0], and negligible below", () => {
    const x = Float32Array.from({ length: 17404 }, (_, i) => (i < 17401 ? -i / 200 : -100 - i));
    const e = new Float32Array(x.length);
    k.expNonPositive(x, e);
    let worst = 0;
    for (let i = 0; i < 17401; i++) worst = Math.max(worst, Math.abs(e[i]! - Math.exp(x[i]!)) / Math.exp(x[i]!));
    expect(worst).toBeLessThan(3e-7);
    for (let i = 17401; i < x.length; i++) expect(e[i]!).toBeLessThan(2e-38); // clamped at e^−87 (float32's normal range ends there)
  });
});

describe('residual + LayerNorm and mean pool, as docs/definitions.md §Setups says', () => {
  it('LN(x + a) normalises each row (biased variance, ε = 1e-5) then applies gain and bias', () => {
    const [N, C] = [5, 6];
    const r = rngFor(9, 'ln');
    const x = r.fillNormal(new Float32Array(N * C), 1, 2);
    const a = r.fillNormal(new Float32Array(N * C));
    const g = r.fillNormal(new Float32Array(C));
    const beta = r.fillNormal(new Float32Array(C));
    const out = new Float32Array(N * C);
    const xhat = new Float32Array(N * C);
    const rstd = new Float32Array(N);
    k.addLayerNormForward(x, a, g, beta, N, C, out, xhat, rstd);
    for (let n = 0; n < N; n++) {
      const row = Array.from({ length: C }, (_, c) => x[n * C + c]! + a[n * C + c]!);
      const mu = row.reduce((s, v) => s + v, 0) / C;
      const v = row.reduce((s, u) => s + (u - mu) ** 2, 0) / C;
      const xh = row.map((u) => (u - mu) / Math.sqrt(v + 1e-5));
      expect(xh.reduce((s, u) => s + u, 0)).toBeCloseTo(0, 5);
      for (let c = 0; c < C; c++) expect(out[n * C + c]).toBeCloseTo(xh[c]! * g[c]! + beta[c]!, 5);
    }
  });

  it('the fused residual + LayerNorm backward matches tfjs autograd (x, a, gain, bias)', () => {
    const [N, C] = [37, 32];
    const r = rngFor(10, 'lnb');
    const x = r.fillNormal(new Float32Array(N * C));
    const a = r.fillNormal(new Float32Array(N * C));
    const g = r.fillNormal(new Float32Array(C), 1, 0.3);
    const beta = r.fillNormal(new Float32Array(C));
    const dout = r.fillNormal(new Float32Array(N * C));
    const out = new Float32Array(N * C);
    const xhat = new Float32Array(N * C);
    const rstd = new Float32Array(N);
    k.addLayerNormForward(x, a, g, beta, N, C, out, xhat, rstd);
    const dr = new Float32Array(N * C);
    const dg = new Float32Array(C);
    const db = new Float32Array(C);
    k.addLayerNormBackward(dout, xhat, rstd, g, N, C, dr, dg, db);
    const ts = [tf.tensor2d(x, [N, C]), tf.tensor2d(a, [N, C]), tf.tensor1d(g), tf.tensor1d(beta)] as const;
    const dt = tf.tensor2d(dout, [N, C]);
    const f = (xx: TF.Tensor, aa: TF.Tensor, gg: TF.Tensor, bb: TF.Tensor): TF.Scalar =>
      tf.sum(tf.mul(addLayerNormTf(tf, xx as TF.Tensor2D, aa as TF.Tensor2D, gg as TF.Tensor1D, bb as TF.Tensor1D), dt));
    const { value, grads } = tf.valueAndGrads(f as (...a: TF.Tensor[]) => TF.Scalar)([...ts]);
    const outT = addLayerNormTf(tf, ts[0], ts[1], ts[2], ts[3]);
    expect(relErr(out, outT.dataSync())).toBeLessThan(1e-6);
    expect(relErr(dr, grads[0]!.dataSync())).toBeLessThan(1e-5);
    expect(relErr(dr, grads[1]!.dataSync())).toBeLessThan(1e-5); // ∂/∂x = ∂/∂a: the residual
    expect(relErr(dg, grads[2]!.dataSync())).toBeLessThan(1e-5);
    expect(relErr(db, grads[3]!.dataSync())).toBeLessThan(1e-5);
    tf.dispose([...ts, dt, value, ...grads, outT]);
  });

  it('the pool is the mean over each sequence’s tokens, and its backward spreads dp / T', () => {
    const [B, T, C] = [3, 5, 4];
    const x = Float32Array.from({ length: B * T * C }, (_, i) => i);
    const p = new Float32Array(B * C);
    k.meanPoolForward(x, B, T, C, p);
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) expect(p[b * C + c]).toBeCloseTo(((b * T + 2) * C + c), 5); // mean of t = 0..4 is t = 2
    const pt = meanPoolTf(tf, tf.tensor2d(x, [B * T, C]), B, T, C);
    expect(relErr(p, pt.dataSync())).toBeLessThan(1e-7);
    const dx = new Float32Array(B * T * C);
    k.meanPoolBackward(Float32Array.from({ length: B * C }, (_, i) => i + 1), B, T, C, dx);
    expect(dx[(1 * T + 3) * C + 2]).toBeCloseTo((1 * C + 2 + 1) / T, 6);
    pt.dispose();
  });
});

describe('shapes', () => {
  it('the SRE transformer has the parameters docs/definitions.md §Setups describes', () => {
    const specs = paramSpecs(SRE_TRANSFORMER);
    const shape = (n: string): readonly number[] | undefined => specs.find((s) => s.name === n)?.shape;
    expect(shape('emb')).toEqual([16, 32]);
    expect(shape('pos')).toEqual([32, 32]);
    expect(shape('enc1.qkv.W')).toEqual([32, 96]);
    expect(shape('enc2.out.W')).toEqual([32, 32]);
    expect(shape('enc2.ff1.W')).toEqual([32, 32]);
    expect(shape('enc1.ln2.g')).toEqual([32]);
    expect(shape('W1')).toEqual([32, 128]);
    expect(shape('W2')).toEqual([128, 128]);
    expect(shape('W3')).toEqual([128, 32]);
    expect(specs.filter((s) => s.name.startsWith('enc3'))).toEqual([]);
    expect(matrixNames(SRE_TRANSFORMER)).toEqual(['emb', 'pos', 'enc1.qkv', 'enc1.out', 'enc1.ff1', 'enc1.ff2', 'enc2.qkv', 'enc2.out', 'enc2.ff1', 'enc2.ff2', 'W1', 'W2', 'W3']);
  });

  it('every block keeps the shapes of its comment, in both formulations', () => {
    const c = SRE_TRANSFORMER;
    const B = 3;
    const N = B * c.seqLen;
    const p = initTransformer(c, rngFor(1, 'init'), { scale: 1, embedStd: 1 });
    const { tokens } = batchFor(c, B, 1);
    const ws = workspace(c, B, mod);
    const out = forward(p, tokens, B, ws);
    expect(out.length).toBe(B * 32);
    expect(ws.layers[0]!.qkv.length).toBe(N * 96);
    expect(ws.layers[0]!.P.length).toBe(B * 4 * 32 * 32);
    expect(ws.pool.length).toBe(B * 32);
    expect(ws.z.map((z) => z.length)).toEqual([B * 128, B * 128, B * 32]);
    tf.tidy(() => {
      const w = Object.fromEntries(p.specs.map((s) => [s.name, tf.tensor(p.values[s.name]!, s.shape as number[])]));
      const oh = tf.tensor2d(oneHot(tokens, c.vocab), [N, c.vocab]);
      const q = tf.zeros([N, 96]) as TF.Tensor2D;
      expect(attentionCoreTf(tf, q, B, c.seqLen, 32, 4).shape).toEqual([N, 32]);
      expect(twinEncoder(tf, p, w, oh, B).shape).toEqual([B, 32]);
      const y = twinForward(tf, p, w, oh, B);
      expect(y.shape).toEqual([B, 32]);
      expect(relErr(out, y.dataSync())).toBeLessThan(1e-5);
    });
  });

  it("attention_init 'pytorch': Xavier-uniform in-projection, zero projection biases; the rest as 'fan_in'", () => {
    const c = SRE_TRANSFORMER;
    const ours = initTransformer(c, rngFor(2, 'init'), { scale: 1, embedStd: 1 });
    const torch = initTransformer(c, rngFor(2, 'init'), { scale: 1, embedStd: 1, attention: 'pytorch' });
    const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const xavier = Math.sqrt(6 / (32 + 96)); // 0.2165, above fan-in's 1/√32 = 0.1768
    expect(maxAbs(torch.values['enc1.qkv.W']!)).toBeGreaterThan(1 / Math.sqrt(32));
    expect(maxAbs(torch.values['enc1.qkv.W']!)).toBeLessThanOrEqual(xavier);
    expect(maxAbs(ours.values['enc1.qkv.W']!)).toBeLessThanOrEqual(1 / Math.sqrt(32));
    for (const b of ['enc1.qkv.b', 'enc1.out.b', 'enc2.qkv.b', 'enc2.out.b']) {
      expect(maxAbs(torch.values[b]!)).toBe(0);
      expect(maxAbs(ours.values[b]!)).toBeGreaterThan(0);
    }
    expect(maxAbs(torch.values['enc1.out.W']!)).toBeLessThanOrEqual(1 / Math.sqrt(32));
    expect(Array.from(torch.values.emb!)).toEqual(Array.from(ours.values.emb!)); // drawn before the first projection
    expect(torch.specs).toEqual(ours.specs);
  });

  it('parameters survive their JSON form', () => {
    const p = initTransformer(TINY, rngFor(3, 'init'), { scale: 1, embedStd: 1 });
    const back = transformerFromJson(JSON.parse(JSON.stringify(transformerToJson(p))) as Parameters<typeof transformerFromJson>[0]);
    for (const s of p.specs) expect(Array.from(back.values[s.name]!)).toEqual(Array.from(p.values[s.name]!));
  });
});

describe('the fast step', () => {
  it('every gradient matches central finite differences of the float64 model (tiny instance)', () => {
    const p = initTransformer(TINY, rngFor(4, 'init'), { scale: 1.5, embedStd: 1 });
    const B = 3;
    const { tokens, y } = batchFor(TINY, B, 4);
    const ws = workspace(TINY, B, mod);
    const g = gradBuffers(p);
    const loss = transformerStep(p, { tokens, y, B }, { mode: 'bp', hebb: false }, g, ws);
    const L = (over: Record<string, Float64Array>): number => {
      const out = forward64(p, tokens, B, (n) => over[n] ?? p.values[n]!);
      return out.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0) / out.length;
    };
    expect(loss).toBeCloseTo(L({}), 6);
    const eps = 1e-5;
    for (const s of p.specs) {
      const fd = new Float64Array(numel(s.shape));
      for (let i = 0; i < fd.length; i++) {
        const plus = Float64Array.from(p.values[s.name]!);
        const minus = Float64Array.from(p.values[s.name]!);
        plus[i] = plus[i]! + eps;
        minus[i] = minus[i]! - eps;
        fd[i] = (L({ [s.name]: plus }) - L({ [s.name]: minus })) / (2 * eps);
      }
      expect(relErr(g.G[s.name]!, fd), s.name).toBeLessThan(1e-4);
    }
  });

  it('loss and every gradient match the plain tfjs twin on the SRE transformer (~1e-6 relative)', () => {
    const c = SRE_TRANSFORMER;
    const p = initTransformer(c, rngFor(5, 'init'), { scale: 1, embedStd: 1 });
    const B = 4;
    const { tokens, y } = batchFor(c, B, 5);
    const ws = workspace(c, B, mod);
    const g = gradBuffers(p);
    const loss = transformerStep(p, { tokens, y, B }, { mode: 'bp', hebb: false }, g, ws);
    const twin = twinLossAndGrads(tf, p, tokens, y, B);
    expect(Math.abs(loss - twin.loss) / twin.loss).toBeLessThan(1e-6);
    for (const s of p.specs) expect(relErr(g.G[s.name]!, twin.grads[s.name]!), s.name).toBeLessThan(5e-6);
  });

  it('H of every weight matrix is the batch mean of h_b h_aᵀ (plain loops)', () => {
    const c = TINY;
    const p = initTransformer(c, rngFor(6, 'init'), { scale: 1, embedStd: 1 });
    const B = 3;
    const N = B * c.seqLen;
    const { tokens, y } = batchFor(c, B, 6);
    const ws = workspace(c, B, mod);
    const g = gradBuffers(p);
    transformerStep(p, { tokens, y, B }, { mode: 'none', hebb: true }, g, ws);
    const L = ws.layers[0]!;
    const check = (name: string, ha: Float32Array, hb: Float32Array, rows: number, nIn: number, nOut: number): void => {
      const ref = hebbianRef(ha, hb, rows, nIn, nOut); // [out, in]
      const H = g.H[name]!; // [in, out]
      for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) expect(H[i * nOut + j], name).toBeCloseTo(ref[j * nIn + i]!, 6);
    };
    check('enc1.qkv', ws.x0, L.qkv, N, 4, 12);
    check('enc1.out', L.y, L.a, N, 4, 4);
    check('enc1.ff1', L.h1, L.u, N, 4, 5);
    check('enc1.ff2', L.f, L.v, N, 5, 4);
    check('W1', ws.pool, ws.z[0]!, B, 4, 6);
    check('W2', ws.h[0]!, ws.z[1]!, B, 6, 3);
    const oh = oneHot(tokens, c.vocab);
    const embOut = new Float32Array(N * 4).map((_, i) => p.values.emb![tokens[Math.floor(i / 4)]! * 4 + (i % 4)]!);
    check('emb', oh, embOut, N, c.vocab, 4);
  });

  it('DFA: the head gets fixed random feedback, the encoder the exact backprop of δ_p = e B_pᵀ', () => {
    const c = SRE_TRANSFORMER;
    const p = initTransformer(c, rngFor(7, 'init'), { scale: 1, embedStd: 1 });
    const B = 3;
    const { tokens, y } = batchFor(c, B, 7);
    const ws = workspace(c, B, mod);
    const fb = dfaFeedback(c, 7, 1);
    const dfa = gradBuffers(p);
    transformerStep(p, { tokens, y, B }, { mode: 'dfa', feedback: fb, hebb: false }, dfa, ws);
    const bp = gradBuffers(p);
    transformerStep(p, { tokens, y, B }, { mode: 'bp', hebb: false }, bp, ws);
    // The output layer's gradient is the true one; W1's is not.
    expect(relErr(dfa.G.W3!, bp.G.W3!)).toBeLessThan(1e-6);
    expect(relErr(dfa.G.W1!, bp.G.W1!)).toBeGreaterThan(0.1);
    // W1: δ_1 = (e B_1ᵀ) ⊙ (1 − h_1²), G = poolᵀ δ_1.
    const e = ws.e; // [B, 32]
    const d1 = new Float64Array(B * 128);
    for (let b = 0; b < B; b++) for (let j = 0; j < 128; j++) {
      let s = 0;
      for (let k = 0; k < 32; k++) s += e[b * 32 + k]! * fb.hidden[0]![k * 128 + j]!;
      d1[b * 128 + j] = s * (1 - ws.h[0]![b * 128 + j]! ** 2);
    }
    const gW1 = new Float64Array(32 * 128);
    for (let i = 0; i < 32; i++) for (let j = 0; j < 128; j++) for (let b = 0; b < B; b++) gW1[i * 128 + j] = gW1[i * 128 + j]! + ws.pool[b * 32 + i]! * d1[b * 128 + j]!;
    expect(relErr(dfa.G.W1!, gW1)).toBeLessThan(1e-5);
    // Encoder: autograd of Σ pool ⊙ δ_p with δ_p = e B_p held constant.
    const dp = new Float32Array(B * 32);
    for (let b = 0; b < B; b++) for (let j = 0; j < 32; j++) {
      let s = 0;
      for (let k = 0; k < 32; k++) s += e[b * 32 + k]! * fb.pool[k * 32 + j]!;
      dp[b * 32 + j] = s;
    }
    const enc = p.specs.filter((s) => !/^[Wb]\d+$/.test(s.name));
    const grads = tf.tidy(() => {
      const xs = enc.map((s) => tf.tensor(p.values[s.name]!, s.shape as number[]));
      const oh = tf.tensor2d(oneHot(tokens, c.vocab), [B * c.seqLen, c.vocab]);
      const dpt = tf.tensor2d(dp, [B, 32]);
      return tf.grads((...a: TF.Tensor[]) => tf.sum(tf.mul(twinEncoder(tf, p, Object.fromEntries(enc.map((s, i) => [s.name, a[i]!])), oh, B), dpt)))(xs).map((t) => t.dataSync());
    });
    enc.forEach((s, i) => expect(relErr(dfa.G[s.name]!, grads[i]!), s.name).toBeLessThan(5e-6));
  });
});

describe('model definition', () => {
  it('initialisation follows the stated rules and is deterministic per seed', () => {
    const a = initTransformer(SRE_TRANSFORMER, rngFor(11, 'init'), { scale: 1, embedStd: 1 });
    const b = initTransformer(SRE_TRANSFORMER, rngFor(11, 'init'), { scale: 1, embedStd: 1 });
    const other = initTransformer(SRE_TRANSFORMER, rngFor(12, 'init'), { scale: 1, embedStd: 1 });
    expect(Array.from(a.values['enc1.qkv.W']!)).toEqual(Array.from(b.values['enc1.qkv.W']!));
    expect(Array.from(a.values.W2!)).not.toEqual(Array.from(other.values.W2!));
    const maxAbs = (x: Float32Array): number => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbs(a.values['enc1.qkv.W']!)).toBeLessThanOrEqual(1 / Math.sqrt(32));
    expect(maxAbs(a.values['enc1.qkv.W']!)).toBeGreaterThan(0.9 / Math.sqrt(32));
    expect(maxAbs(a.values['enc1.ff2.b']!)).toBeLessThanOrEqual(1 / Math.sqrt(32));
    expect(maxAbs(a.values.W2!)).toBeLessThanOrEqual(1 / Math.sqrt(128));
    expect(Array.from(a.values['enc2.ln1.g']!).every((v) => v === 1)).toBe(true);
    expect(Array.from(a.values['enc2.ln1.b']!).every((v) => v === 0)).toBe(true);
    const e = a.values.emb!;
    const sd = Math.sqrt(e.reduce((s, v) => s + v * v, 0) / e.length);
    expect(sd).toBeGreaterThan(0.8);
    expect(sd).toBeLessThan(1.2);
  });
});
