/**
 * The MLP step on the training kernels (docs/kernels.md): forward, MSE, backprop or DFA, and the
 * Hebbian H, all as kernel calls over one arena (a SimdArena of its own, wasm or native kernels
 * bound to it), with the contract of mlp-tf.ts `mlpStep` (the tfjs twin the tests compare it
 * with). Each step copies the parameters and the batch into the arena and G / H out of it; no
 * tfjs anywhere, so the bytes depend only on the kernel build.
 *
 * Products per layer l (h_0 = x, W_l [n_l, n_{l+1}]): z_l = h_l W_l + b_l (`matmul`),
 * h_{l+1} = tanh(z_l) (`tanhForward`), e = (z_L − y)·scale (`mseGrad`), G_W = h_lᵀ δ_l
 * (`matmulTN`), G_b = Σ_rows δ_l (`colSum`), backprop δ_{l−1} = (δ_l W_lᵀ) ⊙ (1 − h_l²)
 * (`matmulNT`, fused), DFA δ_l = (e B_lᵀ) ⊙ (1 − h²) (`matmul` + `tanhBackward`),
 * H_l = h_lᵀ h_b / rows (`matmulTN`).
 */
import { depth, type MlpParams } from './mlp.ts';
import type { StepBuffers } from './mlp-tf.ts';
import type { FixedNet, MlpStepOptions, MlpStepper } from './mlp-stepper.ts';
import type { KernelsChoice } from './kernels-select.ts';
import { bindNative } from './transformer/native.ts';
import { SimdArena } from './transformer/simd.ts';

/** The arena's views for one MLP (widths `sizes`, batches of up to `maxRows` rows). */
interface MlpArena {
  readonly arena: SimdArena;
  readonly W: Float32Array[];
  readonly b: Float32Array[];
  readonly x: Float32Array;
  readonly y: Float32Array;
  /** z[l]: pre-activations [maxRows, n_{l+1}]; h[l]: tanh(z[l]) for hidden layers. */
  readonly z: Float32Array[];
  readonly h: Float32Array[];
  readonly e: Float32Array;
  /** Two δ buffers [maxRows, widest] used alternately, and one for z − b. */
  readonly d: [Float32Array, Float32Array];
  readonly zNoBias: Float32Array;
  readonly gW: Float32Array[];
  readonly gb: Float32Array[];
  readonly H: Float32Array[];
  /** DFA feedback Bt[l] [d_out, n_{l+1}] for hidden layers. */
  readonly fb: Float32Array[];
  readonly colSum: Float32Array;
}

function layout(sizes: readonly number[], R: number, f32: (n: number) => Float32Array, arena: SimdArena): MlpArena {
  const L = sizes.length - 1;
  const dOut = sizes[L]!;
  const widest = Math.max(...sizes.slice(1));
  const layers = Array.from({ length: L }, (_, l) => [sizes[l]!, sizes[l + 1]!] as const);
  return {
    arena,
    W: layers.map(([i, o]) => f32(i * o)),
    b: layers.map(([, o]) => f32(o)),
    x: f32(R * sizes[0]!),
    y: f32(R * dOut),
    z: layers.map(([, o]) => f32(R * o)),
    h: layers.slice(0, -1).map(([, o]) => f32(R * o)),
    e: f32(R * dOut),
    d: [f32(R * widest), f32(R * widest)],
    zNoBias: f32(R * widest),
    gW: layers.map(([i, o]) => f32(i * o)),
    gb: layers.map(([, o]) => f32(o)),
    H: layers.map(([i, o]) => f32(i * o)),
    fb: layers.slice(0, -1).map(([, o]) => f32(dOut * o)),
    colSum: f32(dOut),
  };
}

/** A fresh instance of `mod` holding an MlpArena, the kernels of `kernels` bound to it. */
function mlpArena(mod: WebAssembly.Module, kernels: KernelsChoice, sizes: readonly number[], maxRows: number): MlpArena {
  let bytes = 0;
  const probe = new SimdArena(mod, 0);
  layout(sizes, maxRows, (n) => ((bytes += Math.ceil((n * 4) / 16) * 16), new Float32Array(0)), probe);
  const arena = new SimdArena(mod, bytes + 16, kernels.name === 'native' ? (m) => bindNative(kernels.addon, m) : undefined);
  return layout(sizes, maxRows, (n) => arena.f32(n), arena);
}

/** Checks that p has the widths the arena was laid out for. */
function checkSizes(p: MlpParams, sizes: readonly number[]): void {
  if (p.sizes.length !== sizes.length || p.sizes.some((s, i) => s !== sizes[i])) {
    throw new Error(`MLP of widths [${p.sizes.join(', ')}] on a stepper laid out for [${sizes.join(', ')}]`);
  }
}

/**
 * The forward pass of the first `rows` rows of ws.x through the parameters in the arena: z[l]
 * and h[l]; returns the output view z[L−1].
 */
function forward(ws: MlpArena, sizes: readonly number[], rows: number): Float32Array {
  const A = ws.arena;
  const L = sizes.length - 1;
  let hIn = ws.x;
  for (let l = 0; l < L; l++) {
    const nOut = sizes[l + 1]!;
    A.k.matmul(A.ptr(hIn), A.ptr(ws.W[l]!), A.ptr(ws.b[l]!), A.ptr(ws.z[l]!), rows, sizes[l]!, nOut);
    if (l < L - 1) {
      A.k.tanhForward(A.ptr(ws.z[l]!), A.ptr(ws.h[l]!), rows * nOut);
      hIn = ws.h[l]!;
    }
  }
  return ws.z[L - 1]!;
}

function loadParams(ws: MlpArena, p: MlpParams): void {
  for (let l = 0; l < p.W.length; l++) {
    ws.W[l]!.set(p.W[l]!);
    ws.b[l]!.set(p.b[l]!);
  }
}

/** The MLP step on the kernel arena (wasm or native build): see the file's comment. */
export class KernelMlpStepper implements MlpStepper {
  readonly name: string;
  private readonly ws: MlpArena;
  private fbSrc: readonly Float32Array[] | undefined;

  /** A stepper for widths `sizes` and batches of up to `maxRows` rows, on a fresh instance of `mod` with `kernels` bound. */
  constructor(
    private readonly mod: WebAssembly.Module,
    private readonly kernels: KernelsChoice,
    private readonly sizes: readonly number[],
    private readonly maxRows: number,
  ) {
    this.name = kernels.name === 'native' ? kernels.tag : 'wasm';
    this.ws = mlpArena(mod, kernels, sizes, maxRows);
  }

  step(p: MlpParams, x: Float32Array, y: Float32Array, rows: number, opt: MlpStepOptions, bufs: StepBuffers): number {
    const { ws, sizes } = this;
    checkSizes(p, sizes);
    if (rows > this.maxRows || rows < 1) throw new Error(`batch of ${rows} rows on a stepper for 1..${this.maxRows}`);
    const A = ws.arena;
    const k = A.k;
    const L = depth(p);
    const dOut = sizes[L]!;
    loadParams(ws, p);
    ws.x.set(x.subarray(0, rows * sizes[0]!));
    ws.y.set(y.subarray(0, rows * dOut));
    if (opt.mode === 'dfa') this.loadFeedback(opt.feedback, L);
    const out = forward(ws, sizes, rows);
    const sq = k.mseGrad(A.ptr(out), A.ptr(ws.y), A.ptr(ws.e), rows * dOut, opt.gradScale ?? 2 / (rows * dOut));
    const hIn = (l: number): Float32Array => (l === 0 ? ws.x : ws.h[l - 1]!);
    if (opt.mode !== 'none') {
      let delta = ws.e;
      let spare = 0;
      for (let l = L - 1; l >= 0; l--) {
        const nIn = sizes[l]!;
        const nOut = sizes[l + 1]!;
        if (opt.mode === 'dfa' && l < L - 1) {
          delta = ws.d[spare]!;
          k.matmul(A.ptr(ws.e), A.ptr(ws.fb[l]!), 0, A.ptr(delta), rows, dOut, nOut);
          k.tanhBackward(A.ptr(delta), A.ptr(ws.h[l]!), rows * nOut);
          spare ^= 1;
        }
        k.matmulTN(A.ptr(hIn(l)), A.ptr(delta), A.ptr(ws.gW[l]!), rows, nIn, nOut, 1);
        k.colSum(A.ptr(delta), rows, nOut, A.ptr(ws.gb[l]!));
        if (opt.mode === 'bp' && l > 0) {
          const next = ws.d[spare]!;
          k.matmulNT(A.ptr(delta), A.ptr(ws.W[l]!), A.ptr(ws.h[l - 1]!), A.ptr(next), rows, nOut, nIn);
          delta = next;
          spare ^= 1;
        }
      }
      for (let l = 0; l < L; l++) {
        bufs.gW[l]!.set(ws.gW[l]!);
        bufs.gb[l]!.set(ws.gb[l]!);
      }
    }
    if (opt.hebb) {
      for (let l = 0; l < L; l++) {
        const nIn = sizes[l]!;
        const nOut = sizes[l + 1]!;
        let hb: Float32Array;
        if (opt.hb === 'post' && l < L - 1) hb = ws.h[l]!;
        else if (opt.hBias === false) {
          hb = ws.zNoBias; // z − b, recomputed as h_l W_l without the bias
          k.matmul(A.ptr(hIn(l)), A.ptr(ws.W[l]!), 0, A.ptr(hb), rows, nIn, nOut);
        } else hb = ws.z[l]!;
        k.matmulTN(A.ptr(hIn(l)), A.ptr(hb), A.ptr(ws.H[l]!), rows, nIn, nOut, 1 / rows);
        bufs.H[l]!.set(ws.H[l]!);
      }
    }
    return opt.loss ? Math.fround(sq / (rows * dOut)) : NaN;
  }

  loss(p: MlpParams, x: Float32Array, y: Float32Array, n: number): number {
    const { ws, sizes } = this;
    checkSizes(p, sizes);
    const A = ws.arena;
    const dIn = sizes[0]!;
    const dOut = sizes[sizes.length - 1]!;
    loadParams(ws, p);
    let s = 0;
    for (let i = 0; i < n; i += this.maxRows) {
      const rows = Math.min(this.maxRows, n - i);
      ws.x.set(x.subarray(i * dIn, (i + rows) * dIn));
      ws.y.set(y.subarray(i * dOut, (i + rows) * dOut));
      const out = forward(ws, sizes, rows);
      s += A.k.mseGrad(A.ptr(out), A.ptr(ws.y), A.ptr(ws.e), rows * dOut, 0);
    }
    return Math.fround(s / (n * dOut));
  }

  fixed(net: MlpParams): FixedNet {
    const ws = mlpArena(this.mod, this.kernels, net.sizes, this.maxRows);
    loadParams(ws, net);
    const dIn = net.sizes[0]!;
    const dOut = net.sizes[net.sizes.length - 1]!;
    const A = ws.arena;
    return {
      mean: (x, rows) => {
        if (rows > this.maxRows || rows < 1) throw new Error(`batch of ${rows} rows on a fixed network for 1..${this.maxRows}`);
        ws.x.set(x.subarray(0, rows * dIn));
        const out = forward(ws, net.sizes, rows);
        A.k.colSum(A.ptr(out), rows, dOut, A.ptr(ws.colSum));
        const m = new Float32Array(dOut);
        for (let j = 0; j < dOut; j++) m[j] = ws.colSum[j]! / rows;
        return m;
      },
      dispose: () => undefined, // the arena is garbage-collected with the instance
    };
  }

  dispose(): void {
    this.fbSrc = undefined;
  }

  /** Copies DFA's feedback into the arena when a different array list is passed. */
  private loadFeedback(fb: readonly Float32Array[] | undefined, L: number): void {
    if (fb === this.fbSrc) return;
    for (let l = 0; l < L - 1; l++) {
      const a = fb?.[l];
      if (!a) throw new Error(`DFA feedback for layer ${l + 1} is missing`);
      this.ws.fb[l]!.set(a);
    }
    this.fbSrc = fb;
  }
}
