/**
 * The transformer step's WebAssembly SIMD kernels: compiles assembly/kernels.ts (AssemblyScript,
 * with the files it re-exports) at first use, caches the binary by the hash of the sources, the
 * compiler's version and the flags, and gives each workspace its own instance whose linear memory
 * holds every buffer the kernels touch (an arena of Float32Array views, sized once, never grown,
 * so no view detaches).
 *
 * The kernel source is referenced as `new URL('./assembly/kernels.ts', import.meta.url)`; the
 * engine's code identity follows such references, so editing a kernel re-runs the stages that
 * use it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../util/fs-atomic.ts';

/** The AssemblyScript entry file of the kernels; every .ts file beside it is part of the module. */
export const KERNEL_SOURCE = fileURLToPath(new URL('./assembly/kernels.ts', import.meta.url));

/** The kernel sources by file name (the entry and the files beside it), in name order. */
function kernelSources(): Record<string, string> {
  const dir = dirname(KERNEL_SOURCE);
  const names = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
  return Object.fromEntries(names.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** asc flags: -O3, SIMD, no runtime (the kernels allocate nothing), no assertions; 4 pages (256 KiB) hold the static panel buffer. */
const ASC_FLAGS = ['--optimizeLevel', '3', '--shrinkLevel', '0', '--runtime', 'stub', '--enable', 'simd', '--noAssert', '--initialMemory', '4'];

/** Bytes reserved at the bottom of memory for the module's own data (packed.ts' 128 KiB panel buffer) and stack. */
const RESERVED = 256 * 1024;
const PAGE = 64 * 1024;

/** The raw exports of assembly/kernels.ts (pointers are byte offsets into `memory`). */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  matmul(a: number, b: number, bias: number, out: number, M: number, K: number, N: number): void;
  matmulTN(a: number, b: number, out: number, R: number, I: number, J: number, scale: number): void;
  transpose(a: number, rows: number, cols: number, out: number): void;
  reluForward(u: number, f: number, n: number): void;
  reluBackward(d: number, f: number, n: number): void;
  addInto(a: number, b: number, n: number): void;
  colSum(a: number, rows: number, cols: number, out: number): void;
  addLayerNormForward(x: number, a: number, g: number, beta: number, N: number, C: number, out: number, xhat: number, rstd: number, eps: number): void;
  addLayerNormBackward(dout: number, xhat: number, rstd: number, g: number, N: number, C: number, dr: number, dg: number, dbeta: number): void;
  attentionScratchBytes(T: number, d: number): number;
  attentionForward(qkv: number, B: number, T: number, C: number, H: number, y: number, P: number, scratch: number): void;
  attentionBackward(qkv: number, P: number, dy: number, B: number, T: number, C: number, H: number, dqkv: number, scratch: number): void;
  expNonPositiveInto(x: number, out: number, n: number): void;
  /** out[M, N] = a[M, K] · b[N, K]ᵀ, then ⊙ (1 − dh²) when dh ≠ 0 (the MLP's δ Wᵀ ⊙ tanh′). */
  matmulNT(a: number, b: number, dh: number, out: number, M: number, K: number, N: number): void;
  /** h = tanh(z) over n values. */
  tanhForward(z: number, h: number, n: number): void;
  /** d ← d ⊙ (1 − h²) over n values. */
  tanhBackward(d: number, h: number, n: number): void;
  /** e = (out − y) · scale over n values; returns Σ (out − y)² (accumulated in float64). */
  mseGrad(out: number, y: number, e: number, n: number, scale: number): number;
  /** delta = (softmax(logits) − y) · scale per row of C; returns Σ_rows Σ_c y (lse − logits) (the CE summed over rows, float64). */
  softmaxCeGrad(logits: number, y: number, delta: number, rows: number, C: number, scale: number): number;
  /** The number of rows whose first argmax in a equals the first argmax in b (both [rows, C]). */
  argmaxHits(a: number, b: number, rows: number, C: number): number;
  /** Batch norm per column of z [rows, cols]: batch mean / biased var when train ≠ 0 (written), else read; writes inv, zhat, u = zhat·scale + shift. */
  batchNormForward(z: number, scale: number, shift: number, rows: number, cols: number, mean: number, variance: number, inv: number, zhat: number, u: number, eps: number, train: number): void;
  /** From du = ∂L/∂u: gShift, gScale (column sums) and dz = ∂L/∂z (training mode; dz may alias du). */
  batchNormBackward(du: number, zhat: number, inv: number, scale: number, rows: number, cols: number, dz: number, gScale: number, gShift: number): void;
  /** h = σ(u) over n values. */
  sigmoidForward(u: number, h: number, n: number): void;
  /** d ← d ⊙ h(1 − h) over n values. */
  sigmoidBackward(d: number, h: number, n: number): void;
  /** h = u Φ(u) (exact, erf-based GELU) over n values. */
  geluForward(u: number, h: number, n: number): void;
  /** d ← d ⊙ (Φ(u) + u φ(u)) over n values (u the GELU's input). */
  geluBackward(d: number, u: number, n: number): void;
  /** out[c] = scale · Σ_r a[r, c]² for a [rows, cols]. */
  colSumSq(a: number, rows: number, cols: number, out: number, scale: number): void;
  /** x0[n] = E[tok[n]] + P[n mod T] (tok: N int32); returns the tokens outside [0, V) (their rows zeroed). */
  embedForward(tok: number, E: number, P: number, N: number, T: number, C: number, V: number, x0: number): number;
  /** dE [V, C], dP [T, C] (overwritten) from dx0 [N, C]; returns the tokens outside [0, V) (skipped). */
  embedBackward(tok: number, dx0: number, N: number, T: number, C: number, V: number, dE: number, dP: number): number;
  /** p[b] = mean over t of x[b·T + t] (x [B·T, C], p [B, C]). */
  meanPoolForward(x: number, B: number, T: number, C: number, p: number): void;
  /** dx[b·T + t] = dp[b] / T. */
  meanPoolBackward(dp: number, B: number, T: number, C: number, dx: number): void;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * The compiled kernel module (once per process): from the binary cache when its key matches,
 * else compiled with asc and written there atomically (concurrent workers may both compile;
 * the last rename wins with identical bytes).
 */
export function simdModule(): Promise<WebAssembly.Module> {
  compiled ??= loadSimdModuleUncached();
  return compiled;
}

/**
 * Where the binary for the current source, compiler version and options is cached:
 * `node_modules/.cache/hebb/wasm/kernels-<key>.wasm`.
 */
export function kernelCachePath(sources: Record<string, string> = kernelSources()): string {
  const ascDir = dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json'));
  const ascVersion = (JSON.parse(readFileSync(join(ascDir, 'package.json'), 'utf8')) as { version: string }).version;
  const key = createHash('sha256').update(JSON.stringify([sources, ascVersion, ASC_FLAGS])).digest('hex').slice(0, 32);
  return join(ascDir, '..', '.cache', 'hebb', 'wasm', `kernels-${key}.wasm`);
}

/** Loads (or compiles and caches) the kernel module, bypassing the per-process memo. */
export async function loadSimdModuleUncached(): Promise<WebAssembly.Module> {
  const sources = kernelSources();
  const cached = kernelCachePath(sources);
  if (existsSync(cached)) {
    try {
      return await WebAssembly.compile(readFileSync(cached));
    } catch {
      // a damaged cache entry: compile again below and overwrite it
    }
  }
  const { default: asc } = await import('assemblyscript/asc');
  // Only kernels.ts is an entry (its exports are the module's); the other files reach the
  // compiler through its imports, read from memory.
  let binary: Uint8Array | undefined;
  const res = await asc.main(['kernels.ts', '--outFile', 'kernels.wasm', ...ASC_FLAGS], {
    readFile: (name) => sources[name.replace(/^\.\//, '')] ?? null,
    writeFile: (name, contents) => {
      if (name.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
    },
    listFiles: () => [],
  });
  if (res.error || !binary) {
    throw new Error(`${KERNEL_SOURCE}: AssemblyScript compilation failed: ${res.error?.message ?? 'no binary'}\n${res.stderr.toString()}`);
  }
  try {
    writeFileAtomic(cached, binary);
  } catch {
    // a read-only node_modules: run uncached
  }
  return WebAssembly.compile(new Uint8Array(binary));
}

/**
 * One instance of the kernels with an arena in its memory: `f32(n)` hands out 16-byte-aligned
 * views until the capacity given at construction is used up. Every pointer passed to a kernel
 * must come from this arena (`ptr` checks it).
 */
export class SimdArena {
  /** The kernels of this instance. */
  readonly k: KernelExports;
  private next = RESERVED;
  private readonly end: number;

  /**
   * An instance of `mod` whose memory holds at least `bytes` bytes of arena. `bind`, when given,
   * supplies other kernels over that memory once it is sized (native.ts `bindNative`: the native
   * build on the same arena); by default the instance's own wasm kernels run.
   */
  constructor(mod: WebAssembly.Module, bytes: number, bind?: (memory: WebAssembly.Memory) => KernelExports) {
    const inst = new WebAssembly.Instance(mod, {}); // the kernels import nothing (no runtime, no assertions)
    const wasm = inst.exports as unknown as KernelExports & { dataEnd(): number };
    // The module's static data (packed.ts' panel buffer) must end below the arena.
    if (wasm.dataEnd() > RESERVED) throw new Error(`${KERNEL_SOURCE}: the kernels' static data ends at byte ${wasm.dataEnd()}, above the ${RESERVED} bytes simd.ts reserves for it; raise RESERVED`);
    const need = RESERVED + bytes + 16;
    const have = wasm.memory.buffer.byteLength;
    if (need > have) wasm.memory.grow(Math.ceil((need - have) / PAGE));
    this.k = bind ? bind(wasm.memory) : wasm;
    this.end = wasm.memory.buffer.byteLength;
  }

  /** A zeroed Float32Array of n values in the arena. */
  f32(n: number): Float32Array {
    const at = this.take(n * 4);
    return new Float32Array(this.k.memory.buffer, at, n);
  }

  /** `n` bytes of kernel scratch in the arena; returns the pointer. */
  bytes(n: number): number {
    return this.take(n);
  }

  /** The byte offset of a view of this arena (throws for any other array). */
  ptr(a: Float32Array | Int32Array): number {
    if (a.buffer !== this.k.memory.buffer) throw new Error('SimdArena.ptr: the array does not live in this arena');
    return a.byteOffset;
  }

  private take(bytes: number): number {
    const at = this.next;
    const size = Math.ceil(bytes / 16) * 16;
    if (at + size > this.end) throw new Error(`SimdArena: out of space (${at + size} > ${this.end} bytes); size it larger`);
    this.next = at + size;
    return at;
  }
}
