// The SIMD kernels (src/ml/transformer/assembly/kernels.ts) with plain-array signatures for the
// tests: each call copies its inputs into a fresh arena, runs the kernel, and copies the outputs
// back, so a test can compare a kernel with tfjs or a float64 loop on ordinary Float32Arrays.
// With `bind` (native.ts bindNative), the native build of the same kernels runs on the arena.
import { LN_EPS } from '../src/ml/transformer/kernels.ts';
import { SimdArena, type KernelExports } from '../src/ml/transformer/simd.ts';

type Arr = Float32Array;
type Bind = ((memory: WebAssembly.Memory) => KernelExports) | undefined;

/** Runs `f` on arena copies of `ins` (inputs) and `outs` (outputs, copied back afterwards). */
function call(mod: WebAssembly.Module, bind: Bind, ins: Arr[], outs: Arr[], scratchBytes: number, f: (a: SimdArena, p: number[], scratch: number) => void): void {
  const all = [...ins, ...outs];
  const a = new SimdArena(mod, all.reduce((s, x) => s + x.length * 4 + 16, 0) + scratchBytes + 16, bind);
  const views = all.map((x) => {
    const v = a.f32(x.length);
    v.set(x);
    return v;
  });
  const scratch = a.bytes(Math.max(scratchBytes, 16));
  f(a, views.map((v) => a.ptr(v)), scratch);
  outs.forEach((o, i) => o.set(views[ins.length + i]!));
}

/** The kernels over plain arrays (outputs written into the arrays passed); the wasm ones, or those `bind` supplies. */
export function simdOnArrays(mod: WebAssembly.Module, bind?: Bind) {
  const scratchFor = (T: number, d: number): number => new SimdArena(mod, 0).k.attentionScratchBytes(T, d);
  return {
    matmul: (a: Arr, b: Arr, bias: Arr | null, out: Arr, M: number, K: number, N: number): void =>
      call(mod, bind, bias ? [a, b, bias] : [a, b], [out], 0, (A, p) => A.k.matmul(p[0]!, p[1]!, bias ? p[2]! : 0, p[bias ? 3 : 2]!, M, K, N)),
    matmulTN: (a: Arr, b: Arr, out: Arr, R: number, I: number, J: number, scale: number): void =>
      call(mod, bind, [a, b], [out], 0, (A, p) => A.k.matmulTN(p[0]!, p[1]!, p[2]!, R, I, J, scale)),
    transpose: (a: Arr, rows: number, cols: number, out: Arr): void => call(mod, bind, [a], [out], 0, (A, p) => A.k.transpose(p[0]!, rows, cols, p[1]!)),
    reluForward: (u: Arr, f: Arr, n: number): void => call(mod, bind, [u], [f], 0, (A, p) => A.k.reluForward(p[0]!, p[1]!, n)),
    reluBackward: (d: Arr, f: Arr, n: number): void => call(mod, bind, [f], [d], 0, (A, p) => A.k.reluBackward(p[1]!, p[0]!, n)),
    addInto: (a: Arr, b: Arr, n: number): void => call(mod, bind, [b], [a], 0, (A, p) => A.k.addInto(p[1]!, p[0]!, n)),
    colSum: (a: Arr, rows: number, cols: number, out: Arr): void => call(mod, bind, [a], [out], 0, (A, p) => A.k.colSum(p[0]!, rows, cols, p[1]!)),
    expNonPositive: (x: Arr, out: Arr): void => call(mod, bind, [x], [out], 0, (A, p) => A.k.expNonPositiveInto(p[0]!, p[1]!, x.length)),
    matmulNT: (a: Arr, b: Arr, dh: Arr | null, out: Arr, M: number, K: number, N: number): void =>
      call(mod, bind, dh ? [a, b, dh] : [a, b], [out], 0, (A, p) => A.k.matmulNT(p[0]!, p[1]!, dh ? p[2]! : 0, p[dh ? 3 : 2]!, M, K, N)),
    tanhForward: (z: Arr, h: Arr, n: number): void => call(mod, bind, [z], [h], 0, (A, p) => A.k.tanhForward(p[0]!, p[1]!, n)),
    tanhBackward: (d: Arr, h: Arr, n: number): void => call(mod, bind, [h], [d], 0, (A, p) => A.k.tanhBackward(p[1]!, p[0]!, n)),
    /** Returns Σ (out − y)² (e written). */
    mseGrad: (out: Arr, y: Arr, e: Arr, n: number, scale: number): number => {
      let r = NaN;
      call(mod, bind, [out, y], [e], 0, (A, p) => (r = A.k.mseGrad(p[0]!, p[1]!, p[2]!, n, scale)));
      return r;
    },
    /** Returns Σ CE over rows (delta written). */
    softmaxCeGrad: (logits: Arr, y: Arr, delta: Arr, rows: number, C: number, scale: number): number => {
      let r = NaN;
      call(mod, bind, [logits, y], [delta], 0, (A, p) => (r = A.k.softmaxCeGrad(p[0]!, p[1]!, p[2]!, rows, C, scale)));
      return r;
    },
    argmaxHits: (a: Arr, b: Arr, rows: number, C: number): number => {
      let r = NaN;
      call(mod, bind, [a, b], [], 0, (A, p) => (r = A.k.argmaxHits(p[0]!, p[1]!, rows, C)));
      return r;
    },
    /** mean and variance are read (train = 0) or written (train = 1). */
    batchNormForward: (z: Arr, scale: Arr, shift: Arr, rows: number, cols: number, mean: Arr, variance: Arr, inv: Arr, zhat: Arr, u: Arr, eps: number, train: boolean): void =>
      call(mod, bind, [z, scale, shift], [mean, variance, inv, zhat, u], 0, (A, p) =>
        A.k.batchNormForward(p[0]!, p[1]!, p[2]!, rows, cols, p[3]!, p[4]!, p[5]!, p[6]!, p[7]!, eps, train ? 1 : 0)),
    batchNormBackward: (du: Arr, zhat: Arr, inv: Arr, scale: Arr, rows: number, cols: number, dz: Arr, gScale: Arr, gShift: Arr): void =>
      call(mod, bind, [du, zhat, inv, scale], [dz, gScale, gShift], 0, (A, p) => A.k.batchNormBackward(p[0]!, p[1]!, p[2]!, p[3]!, rows, cols, p[4]!, p[5]!, p[6]!)),
    sigmoidForward: (u: Arr, h: Arr, n: number): void => call(mod, bind, [u], [h], 0, (A, p) => A.k.sigmoidForward(p[0]!, p[1]!, n)),
    sigmoidBackward: (d: Arr, h: Arr, n: number): void => call(mod, bind, [h], [d], 0, (A, p) => A.k.sigmoidBackward(p[1]!, p[0]!, n)),
    geluForward: (u: Arr, h: Arr, n: number): void => call(mod, bind, [u], [h], 0, (A, p) => A.k.geluForward(p[0]!, p[1]!, n)),
    geluBackward: (d: Arr, u: Arr, n: number): void => call(mod, bind, [u], [d], 0, (A, p) => A.k.geluBackward(p[1]!, p[0]!, n)),
    colSumSq: (a: Arr, rows: number, cols: number, out: Arr, scale: number): void => call(mod, bind, [a], [out], 0, (A, p) => A.k.colSumSq(p[0]!, rows, cols, p[1]!, scale)),
    addLayerNormForward: (x: Arr, a: Arr, g: Arr, beta: Arr, N: number, C: number, out: Arr, xhat: Arr, rstd: Arr): void =>
      call(mod, bind, [x, a, g, beta], [out, xhat, rstd], 0, (A, p) => A.k.addLayerNormForward(p[0]!, p[1]!, p[2]!, p[3]!, N, C, p[4]!, p[5]!, p[6]!, LN_EPS)),
    addLayerNormBackward: (dout: Arr, xhat: Arr, rstd: Arr, g: Arr, N: number, C: number, dr: Arr, dg: Arr, dbeta: Arr): void =>
      call(mod, bind, [dout, xhat, rstd, g], [dr, dg, dbeta], 0, (A, p) => A.k.addLayerNormBackward(p[0]!, p[1]!, p[2]!, p[3]!, N, C, p[4]!, p[5]!, p[6]!)),
    /** tok as int32 (carried through the arena in a Float32Array's bytes); returns the tokens outside [0, V). */
    embedForward: (tok: Int32Array, E: Arr, P: Arr, N: number, T: number, C: number, V: number, x0: Arr): number => {
      let r = NaN;
      call(mod, bind, [new Float32Array(tok.buffer, tok.byteOffset, tok.length), E, P], [x0], 0, (A, p) => (r = A.k.embedForward(p[0]!, p[1]!, p[2]!, N, T, C, V, p[3]!)));
      return r;
    },
    embedBackward: (tok: Int32Array, dx0: Arr, N: number, T: number, C: number, V: number, dE: Arr, dP: Arr): number => {
      let r = NaN;
      call(mod, bind, [new Float32Array(tok.buffer, tok.byteOffset, tok.length), dx0], [dE, dP], 0, (A, p) => (r = A.k.embedBackward(p[0]!, p[1]!, N, T, C, V, p[2]!, p[3]!)));
      return r;
    },
    meanPoolForward: (x: Arr, B: number, T: number, C: number, p: Arr): void => call(mod, bind, [x], [p], 0, (A, q) => A.k.meanPoolForward(q[0]!, B, T, C, q[1]!)),
    meanPoolBackward: (dp: Arr, B: number, T: number, C: number, dx: Arr): void => call(mod, bind, [dp], [dx], 0, (A, q) => A.k.meanPoolBackward(q[0]!, B, T, C, q[1]!)),
    attentionForward: (qkv: Arr, B: number, T: number, C: number, H: number, y: Arr, P: Arr): void =>
      call(mod, bind, [qkv], [y, P], scratchFor(T, C / H), (A, p, s) => A.k.attentionForward(p[0]!, B, T, C, H, p[1]!, p[2]!, s)),
    attentionBackward: (qkv: Arr, P: Arr, dy: Arr, B: number, T: number, C: number, H: number, dqkv: Arr): void =>
      call(mod, bind, [qkv, P, dy], [dqkv], scratchFor(T, C / H), (A, p, s) => A.k.attentionBackward(p[0]!, p[1]!, p[2]!, B, T, C, H, p[3]!, s)),
  };
}
