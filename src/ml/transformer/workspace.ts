/**
 * The transformer step's workspace: every activation, scratch buffer and arena copy of the
 * parameters, G, H and DFA's feedback, laid out once in one SimdArena (simd.ts) so the WebAssembly
 * kernels and the JS loops of step.ts work on the same memory without copies.
 */
import { selectKernels, type KernelsChoice } from '../kernels-select.ts';
import { numel, paramSpecs, type TransformerConfig } from './model.ts';
import { bindNative } from './native.ts';
import { SimdArena } from './simd.ts';

/** One encoder layer's saved activations (N = B·T rows). */
export interface LayerCache {
  qkv: Float32Array; // [N, 3C]
  P: Float32Array; // [B, H, T, T]
  y: Float32Array; // [N, C] attention core output (heads concatenated)
  a: Float32Array; // [N, C] out projection
  h1: Float32Array; // [N, C] LN1(x + a)
  xhat1: Float32Array;
  rstd1: Float32Array; // [N]
  u: Float32Array; // [N, F] ff1 pre-activation
  f: Float32Array; // [N, F] relu(u)
  v: Float32Array; // [N, C] ff2
  xhat2: Float32Array;
  rstd2: Float32Array;
  out: Float32Array; // [N, C] LN2(h1 + v): the next layer's input
}

/**
 * Activations, scratch and arena copies of the parameters, G, H and DFA's feedback for batches
 * of up to `maxB` sequences (reused across steps). Every array lives in `arena`.
 */
export interface Workspace {
  readonly maxB: number;
  readonly arena: SimdArena;
  readonly tok: Int32Array; // [N] the batch's tokens (the embedding kernels read them here)
  readonly x0: Float32Array; // [N, C]
  readonly layers: LayerCache[];
  readonly pool: Float32Array; // [B, C]
  readonly z: Float32Array[]; // head pre-activations [B, head[k+1]]
  readonly h: Float32Array[]; // head tanh outputs (hidden layers)
  readonly e: Float32Array; // [B, d_out] ∂L/∂out
  readonly scratch: Record<'dx' | 'dxIn' | 'dr' | 'dh1' | 'dy' | 'dqkv' | 'df' | 'tW' | 'dHead' | 'dHead2', Float32Array>;
  /** Pointer to the attention kernels' scratch. */
  readonly attn: number;
  /** Arena copies: parameters (refreshed by every forward), G, H (copied out), DFA feedback. */
  readonly params: Record<string, Float32Array>;
  readonly G: Record<string, Float32Array>;
  readonly H: Record<string, Float32Array>;
  readonly fbHidden: Float32Array[];
  readonly fbPool: Float32Array;
}

/**
 * Allocates a workspace for batches of up to maxB sequences in a fresh instance of the compiled
 * kernels (simd.ts `simdModule`); with `kernels` native, the addon's kernels run on that arena
 * instead of the instance's own. Default: kernels-select.ts's choice (native when built, else
 * wasm; HEBB_KERNELS forces either), so the same tests exercise whichever build is selected.
 */
export function workspace(c: TransformerConfig, maxB: number, mod: WebAssembly.Module, kernels: KernelsChoice = defaultKernels()): Workspace {
  const specs = paramSpecs(c).map((s) => ({ name: s.name, n: numel(s.shape), ...(s.matrix ? { matrix: s.matrix } : {}) }));
  // Two passes over one layout: count the bytes, then allocate them in an arena of that size.
  let bytes = 0;
  const count = (n: number): Float32Array => {
    bytes += Math.ceil((n * 4) / 16) * 16;
    return new Float32Array(0);
  };
  const probe = new SimdArena(mod, 0);
  layoutWorkspace(c, maxB, specs, count, () => 0, probe);
  const attnBytes = probe.k.attentionScratchBytes(c.seqLen, c.dModel / c.heads);
  const arena = new SimdArena(mod, bytes + attnBytes + 16, kernels.name === 'native' ? (m) => bindNative(kernels.addon, m) : undefined);
  return layoutWorkspace(c, maxB, specs, (n) => arena.f32(n), () => arena.bytes(attnBytes), arena);
}

function defaultKernels(): KernelsChoice {
  const k = selectKernels();
  if (!k.ok) throw new Error(k.error.message);
  return k.value;
}

/** An arena slot of n floats seen as n int32 (the counting pass hands out empty arrays). */
function int32View(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

function layoutWorkspace(
  c: TransformerConfig,
  maxB: number,
  specs: { name: string; n: number; matrix?: string }[],
  f32: (n: number) => Float32Array,
  attnScratch: () => number,
  arena: SimdArena,
): Workspace {
  const N = maxB * c.seqLen;
  const C = c.dModel;
  const F = c.dFF;
  const layers: LayerCache[] = [];
  for (let l = 0; l < c.layers; l++) {
    layers.push({
      qkv: f32(N * 3 * C),
      P: f32(maxB * c.heads * c.seqLen * c.seqLen),
      y: f32(N * C),
      a: f32(N * C),
      h1: f32(N * C),
      xhat1: f32(N * C),
      rstd1: f32(N),
      u: f32(N * F),
      f: f32(N * F),
      v: f32(N * C),
      xhat2: f32(N * C),
      rstd2: f32(N),
      out: f32(N * C),
    });
  }
  const widest = Math.max(3 * C, F, C);
  const headMax = Math.max(...c.head);
  const dOut = c.head[c.head.length - 1]!;
  const params: Record<string, Float32Array> = {};
  const G: Record<string, Float32Array> = {};
  const H: Record<string, Float32Array> = {};
  for (const s of specs) {
    params[s.name] = f32(s.n);
    G[s.name] = f32(s.n);
    if (s.matrix) H[s.matrix] = f32(s.n);
  }
  return {
    maxB,
    arena,
    tok: int32View(f32(N)),
    x0: f32(N * C),
    layers,
    pool: f32(maxB * C),
    z: c.head.slice(1).map((n) => f32(maxB * n)),
    h: c.head.slice(1, -1).map((n) => f32(maxB * n)),
    e: f32(maxB * dOut),
    scratch: {
      dx: f32(N * C),
      dxIn: f32(N * C),
      dr: f32(N * C),
      dh1: f32(N * C),
      dy: f32(N * C),
      dqkv: f32(N * 3 * C),
      df: f32(N * F),
      tW: f32(Math.max(widest * C, headMax * headMax, widest * F)),
      dHead: f32(maxB * headMax),
      dHead2: f32(maxB * headMax),
    },
    attn: attnScratch(),
    params,
    G,
    H,
    fbHidden: c.head.slice(1, -1).map((n) => f32(dOut * n)),
    fbPool: f32(dOut * C),
  };
}
