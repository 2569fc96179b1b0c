/**
 * The SCE step on the training kernels (docs/kernels.md): forward with optional batch norm,
 * softmax cross-entropy, backprop (batch norm included), H, and the Hebbian rules' R and q, all as
 * kernel calls over one arena (a SimdArena of its own, wasm or native kernels bound to it), with
 * the contract of step.ts `sceStep` (the tfjs twin the tests compare it with). Each call copies
 * the model and the batch into the arena and the results out of it, unless the caller works in
 * the arena itself (`shared`: the SCE trainer does, which saves ~7 MB of copies a step at the
 * paper's widths); no tfjs anywhere, so the bytes depend only on the kernel build.
 *
 * Per layer l (h_0 = x, W_l [n_l, n_{l+1}]): z_l = h_l W_l + b_l (`matmul`); hidden layers
 * u_l = BN(z_l) (`batchNormForward`, or u_l = z_l) and h_{l+1} = f(u_l) (`tanhForward`,
 * `reluForward`, `sigmoidForward`, `geluForward`). δ_L = (softmax(z_L) − y)/B (`softmaxCeGrad`, which
 * also sums the CE; `argmaxHits` counts the correct rows); G_W = h_lᵀ δ_l (`matmulTN`), G_b = Σ_rows δ_l
 * (`colSum`); ∂L/∂u = (δ_l W_lᵀ) ⊙ f′ (`matmulNT`, tanh′ fused, else the activation's backward
 * kernel), through batch norm (`batchNormBackward`: G_scale, G_shift and ∂L/∂z); H_l = h_lᵀ z_l / B,
 * R_l = h_lᵀ y / B (`matmulTN`), q_l = Σ_rows y² / B (`colSumSq`).
 */
import type { KernelsChoice } from '../kernels-select.ts';
import { bindNative } from '../transformer/native.ts';
import { SimdArena } from '../transformer/simd.ts';
import { unreachable } from '../../util/unreachable.ts';
import type { SceModel } from './model.ts';
import type { SceBuffers, SceNet, SceStepOptions, SceStepResult } from './step.ts';
import { checkCall, type SceShared, type SceStepper } from './stepper.ts';

/** dst ← src, unless src already is dst's memory (a caller working in the arena: see `SceStepper.shared`). */
function copyInto(dst: Float32Array, src: Float32Array): void {
  if (src.buffer === dst.buffer && src.byteOffset === dst.byteOffset) return;
  dst.set(src);
}

/**
 * The arena's views for one SCE MLP (widths `sizes`, up to R rows per call). Hidden-layer arrays are
 * indexed k = 0..L−2. The step's outputs have the shapes of step.ts `SceBuffers` (copied out into them).
 */
interface SceArena extends Pick<SceBuffers, 'gW' | 'gb' | 'gScale' | 'gShift' | 'H' | 'R' | 'q'> {
  readonly arena: SimdArena;
  readonly W: Float32Array[];
  readonly b: Float32Array[];
  readonly scale: Float32Array[];
  readonly shift: Float32Array[];
  readonly runMean: Float32Array[];
  readonly runVar: Float32Array[];
  readonly x: Float32Array;
  readonly y: Float32Array;
  /** z[l]: pre-activations [R, n_{l+1}] (logits for the last layer). */
  readonly z: Float32Array[];
  /** Batch norm's ẑ and u = ẑ·scale + shift per hidden layer (empty without batch norm). */
  readonly zhat: Float32Array[];
  readonly u: Float32Array[];
  /** h[k] = f(u_k): the input of layer k + 1. */
  readonly h: Float32Array[];
  readonly mean: Float32Array[];
  readonly variance: Float32Array[];
  readonly inv: Float32Array[];
  /** ∂L/∂logits [R, C], and two δ buffers [R, widest hidden] used alternately. */
  readonly e: Float32Array;
  readonly d: [Float32Array, Float32Array];
}

function layout(sizes: readonly number[], rows: number, bn: boolean, f32: (n: number) => Float32Array, arena: SimdArena): SceArena {
  const L = sizes.length - 1;
  const layers = Array.from({ length: L }, (_, l) => [sizes[l]!, sizes[l + 1]!] as const);
  const hidden = sizes.slice(1, -1);
  const widest = Math.max(1, ...hidden);
  const bnVec = () => (bn ? hidden.map((n) => f32(n)) : []);
  const bnMat = () => (bn ? hidden.map((n) => f32(rows * n)) : []);
  return {
    arena,
    W: layers.map(([i, o]) => f32(i * o)),
    b: layers.map(([, o]) => f32(o)),
    scale: bnVec(),
    shift: bnVec(),
    runMean: bnVec(),
    runVar: bnVec(),
    x: f32(rows * sizes[0]!),
    y: f32(rows * sizes[L]!),
    z: layers.map(([, o]) => f32(rows * o)),
    zhat: bnMat(),
    u: bnMat(),
    h: hidden.map((n) => f32(rows * n)),
    mean: bnVec(),
    variance: bnVec(),
    inv: bnVec(),
    e: f32(rows * sizes[L]!),
    d: [f32(rows * widest), f32(rows * widest)],
    gW: layers.map(([i, o]) => f32(i * o)),
    gb: layers.map(([, o]) => f32(o)),
    gScale: bnVec(),
    gShift: bnVec(),
    H: layers.map(([i, o]) => f32(i * o)),
    R: hidden.map((n, k) => f32(sizes[k]! * n)),
    q: hidden.map((n) => f32(n)),
  };
}

/** A fresh instance of `mod` holding a SceArena, the kernels of `kernels` bound to it. */
function sceArena(mod: WebAssembly.Module, kernels: KernelsChoice, sizes: readonly number[], rows: number, bn: boolean): SceArena {
  let bytes = 0;
  layout(sizes, rows, bn, (n) => ((bytes += Math.ceil((n * 4) / 16) * 16), new Float32Array(0)), new SimdArena(mod, 0));
  const arena = new SimdArena(mod, bytes + 16, kernels.name === 'native' ? (m) => bindNative(kernels.addon, m) : undefined);
  return layout(sizes, rows, bn, (n) => arena.f32(n), arena);
}

/** The SCE step on the kernel arena (wasm or native build): see the file's comment. */
export class KernelSceStepper implements SceStepper {
  readonly name: string;
  private ws: SceArena | undefined;
  private wsBn = false;

  /** A stepper for `net` with widths `sizes` and up to `maxRows` rows per call, on a fresh instance of `mod` with `kernels` bound. */
  constructor(
    private readonly mod: WebAssembly.Module,
    private readonly kernels: KernelsChoice,
    private readonly net: SceNet,
    private readonly sizes: readonly number[],
    private readonly maxRows: number,
  ) {
    this.name = kernels.name === 'native' ? kernels.tag : 'wasm';
  }

  step(m: SceModel, x: Float32Array, y: Float32Array, rows: number, opt: SceStepOptions, bufs: SceBuffers): SceStepResult {
    const ws = this.load(m, x, rows);
    const { sizes } = this;
    const A = ws.arena;
    const k = A.k;
    const L = sizes.length - 1;
    const C = sizes[L]!;
    const bn = m.bn !== null;
    copyInto(ws.y, y.subarray(0, rows * C));
    const logits = this.forward(ws, rows, bn, true);
    const ce = k.softmaxCeGrad(A.ptr(logits), A.ptr(ws.y), A.ptr(ws.e), rows, C, 1 / rows);
    const hIn = (l: number): Float32Array => (l === 0 ? ws.x : ws.h[l - 1]!);
    let delta = ws.e;
    let spare = 0;
    for (let l = L - 1; l >= 0; l--) {
      const nIn = sizes[l]!;
      const nOut = sizes[l + 1]!;
      k.matmulTN(A.ptr(hIn(l)), A.ptr(delta), A.ptr(ws.gW[l]!), rows, nIn, nOut, 1);
      k.colSum(A.ptr(delta), rows, nOut, A.ptr(ws.gb[l]!));
      if (l === 0) break;
      const h = l - 1; // the hidden layer whose output feeds layer l
      const next = ws.d[spare]!;
      spare ^= 1;
      const act = this.net.activation;
      k.matmulNT(A.ptr(delta), A.ptr(ws.W[l]!), act === 'tanh' ? A.ptr(ws.h[h]!) : 0, A.ptr(next), rows, nOut, nIn);
      const n = rows * nIn;
      switch (act) {
        case 'tanh':
          break; // fused into matmulNT
        case 'relu':
          k.reluBackward(A.ptr(next), A.ptr(ws.h[h]!), n);
          break;
        case 'sigmoid':
          k.sigmoidBackward(A.ptr(next), A.ptr(ws.h[h]!), n);
          break;
        case 'gelu':
          k.geluBackward(A.ptr(next), A.ptr(bn ? ws.u[h]! : ws.z[h]!), n);
          break;
        default:
          unreachable(act);
      }
      if (bn) {
        k.batchNormBackward(A.ptr(next), A.ptr(ws.zhat[h]!), A.ptr(ws.inv[h]!), A.ptr(ws.scale[h]!), rows, nIn, A.ptr(next), A.ptr(ws.gScale[h]!), A.ptr(ws.gShift[h]!));
      }
      delta = next;
    }
    for (let l = 0; l < L; l++) {
      copyInto(bufs.gW[l]!, ws.gW[l]!);
      copyInto(bufs.gb[l]!, ws.gb[l]!);
    }
    if (bn) {
      for (let h = 0; h < L - 1; h++) {
        copyInto(bufs.gScale[h]!, ws.gScale[h]!);
        copyInto(bufs.gShift[h]!, ws.gShift[h]!);
        copyInto(bufs.bnMean[h]!, ws.mean[h]!);
        copyInto(bufs.bnVar[h]!, ws.variance[h]!);
      }
    }
    if (opt.hebb) {
      for (let l = 0; l < L; l++) {
        k.matmulTN(A.ptr(hIn(l)), A.ptr(ws.z[l]!), A.ptr(ws.H[l]!), rows, sizes[l]!, sizes[l + 1]!, 1 / rows);
        copyInto(bufs.H[l]!, ws.H[l]!);
      }
    }
    if (opt.rule) {
      for (let l = 0; l < L - 1; l++) {
        const nOut = sizes[l + 1]!;
        const yv = opt.rule === 'pre' ? ws.z[l]! : ws.h[l]!;
        if (opt.rule === 'pre' && opt.hebb) copyInto(bufs.R[l]!, ws.H[l]!);
        else {
          k.matmulTN(A.ptr(hIn(l)), A.ptr(yv), A.ptr(ws.R[l]!), rows, sizes[l]!, nOut, 1 / rows);
          copyInto(bufs.R[l]!, ws.R[l]!);
        }
        k.colSumSq(A.ptr(yv), rows, nOut, A.ptr(ws.q[l]!), 1 / rows);
        copyInto(bufs.q[l]!, ws.q[l]!);
      }
    }
    if (!opt.loss) return { loss: NaN, correct: NaN };
    return { loss: Math.fround(ce / rows), correct: k.argmaxHits(A.ptr(logits), A.ptr(ws.y), rows, C) };
  }

  logits(m: SceModel, x: Float32Array, rows: number, out: Float32Array): void {
    const ws = this.load(m, x, rows);
    if (m.bn) {
      for (let h = 0; h < m.bn.runMean.length; h++) {
        copyInto(ws.runMean[h]!, m.bn.runMean[h]!);
        copyInto(ws.runVar[h]!, m.bn.runVar[h]!);
      }
    }
    const logits = this.forward(ws, rows, m.bn !== null, false);
    out.set(logits.subarray(0, rows * this.sizes[this.sizes.length - 1]!));
  }

  dispose(): void {
    this.ws = undefined; // the arena is garbage-collected with its instance (and the shared views)
  }

  shared(m: SceModel): SceShared {
    const bn = m.bn !== null;
    const ws = this.arenaFor(bn);
    const fill = (views: Float32Array[], from: readonly Float32Array[]): Float32Array[] => views.map((v, i) => (copyInto(v, from[i]!), v));
    const model: SceModel = {
      mlp: { ...m.mlp, W: fill(ws.W, m.mlp.W), b: fill(ws.b, m.mlp.b) },
      bn: m.bn ? { scale: fill(ws.scale, m.bn.scale), shift: fill(ws.shift, m.bn.shift), runMean: fill(ws.runMean, m.bn.runMean), runVar: fill(ws.runVar, m.bn.runVar) } : null,
    };
    const bufs: SceBuffers = { gW: ws.gW, gb: ws.gb, gScale: ws.gScale, gShift: ws.gShift, H: ws.H, R: ws.R, q: ws.q, bnMean: ws.mean, bnVar: ws.variance };
    return { model, x: ws.x, y: ws.y, bufs };
  }

  /** The arena, laid out (again when batch norm comes or goes) for a model with or without batch norm. */
  private arenaFor(bn: boolean): SceArena {
    if (!this.ws || this.wsBn !== bn) {
      this.ws = sceArena(this.mod, this.kernels, this.sizes, this.maxRows, bn);
      this.wsBn = bn;
    }
    return this.ws;
  }

  /** Checks the call, lays the arena out (again when batch norm comes or goes) and copies the parameters and x in. */
  private load(m: SceModel, x: Float32Array, rows: number): SceArena {
    const { sizes } = this;
    checkCall(m, sizes, rows, this.maxRows);
    const ws = this.arenaFor(m.bn !== null);
    for (let l = 0; l < m.mlp.W.length; l++) {
      copyInto(ws.W[l]!, m.mlp.W[l]!);
      copyInto(ws.b[l]!, m.mlp.b[l]!);
    }
    if (m.bn) {
      for (let h = 0; h < m.bn.scale.length; h++) {
        copyInto(ws.scale[h]!, m.bn.scale[h]!);
        copyInto(ws.shift[h]!, m.bn.shift[h]!);
      }
    }
    copyInto(ws.x, x.subarray(0, rows * sizes[0]!));
    return ws;
  }

  /**
   * The forward pass of the first `rows` rows of ws.x: z, and per hidden layer batch norm
   * (training: the batch's statistics into mean/variance; evaluation: the running ones) and the
   * activation. Returns the logits view z[L−1].
   */
  private forward(ws: SceArena, rows: number, bn: boolean, train: boolean): Float32Array {
    const { sizes } = this;
    const A = ws.arena;
    const k = A.k;
    const L = sizes.length - 1;
    let hIn = ws.x;
    for (let l = 0; l < L; l++) {
      const n = sizes[l + 1]!;
      const z = ws.z[l]!;
      k.matmul(A.ptr(hIn), A.ptr(ws.W[l]!), A.ptr(ws.b[l]!), A.ptr(z), rows, sizes[l]!, n);
      if (l === L - 1) break;
      let u = z;
      if (bn) {
        u = ws.u[l]!;
        const [mean, variance] = train ? [ws.mean[l]!, ws.variance[l]!] : [ws.runMean[l]!, ws.runVar[l]!];
        k.batchNormForward(A.ptr(z), A.ptr(ws.scale[l]!), A.ptr(ws.shift[l]!), rows, n, A.ptr(mean), A.ptr(variance), A.ptr(ws.inv[l]!), A.ptr(ws.zhat[l]!), A.ptr(u), this.net.bnEps, train ? 1 : 0);
      }
      const h = ws.h[l]!;
      const act = this.net.activation;
      switch (act) {
        case 'tanh':
          k.tanhForward(A.ptr(u), A.ptr(h), rows * n);
          break;
        case 'relu':
          k.reluForward(A.ptr(u), A.ptr(h), rows * n);
          break;
        case 'sigmoid':
          k.sigmoidForward(A.ptr(u), A.ptr(h), rows * n);
          break;
        case 'gelu':
          k.geluForward(A.ptr(u), A.ptr(h), rows * n);
          break;
        default:
          unreachable(act);
      }
      hIn = h;
    }
    return ws.z[L - 1]!;
  }
}
