/**
 * The native build of the transformer step's kernels: an N-API addon (native/*.cc, compiled at
 * install by scripts/build-native.mjs with -O3 -march=native) exposing the same 30 kernels as the
 * WebAssembly module (simd.ts `KernelExports`). It works on the very same arena: `nativeKernels`
 * hands it the wasm instance's memory buffer once, and every call takes the same byte offsets,
 * so the workspace, the JS loops of step.ts and the tests are shared by both builds.
 *
 * The sources are referenced as `new URL(...)` below, so the engine's code identity of every
 * stage using the kernels follows them, as it follows the AssemblyScript sources.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { err, ok, type Result } from '../../util/result.ts';
import type { KernelExports } from './simd.ts';

/** The C++ sources of the addon (for code identity and docs; the build reads native/binding.gyp). */
export const NATIVE_SOURCES = [
  new URL('../../../native/kernels.h', import.meta.url),
  new URL('../../../native/dense.cc', import.meta.url),
  new URL('../../../native/gemm.cc', import.meta.url),
  new URL('../../../native/elementwise.cc', import.meta.url),
  new URL('../../../native/attention.cc', import.meta.url),
  new URL('../../../native/mlp.cc', import.meta.url),
  new URL('../../../native/sce.cc', import.meta.url),
  new URL('../../../native/embed.cc', import.meta.url),
  new URL('../../../native/addon.cc', import.meta.url),
  new URL('../../../native/binding.gyp', import.meta.url),
].map((u) => fileURLToPath(u));

/** Every kernel of simd.ts `KernelExports` the addon must export (a stale build lacks the newest). */
const KERNEL_NAMES = [
  'matmul', 'matmulTN', 'transpose', 'reluForward', 'reluBackward', 'addInto', 'colSum', 'addLayerNormForward', 'addLayerNormBackward',
  'attentionScratchBytes', 'attentionForward', 'attentionBackward', 'expNonPositiveInto', 'matmulNT', 'tanhForward', 'tanhBackward', 'mseGrad',
  'softmaxCeGrad', 'argmaxHits', 'batchNormForward', 'batchNormBackward', 'sigmoidForward', 'sigmoidBackward', 'geluForward', 'geluBackward', 'colSumSq',
  'embedForward', 'embedBackward', 'meanPoolForward', 'meanPoolBackward',
] as const satisfies readonly (keyof KernelExports)[];

/** Where node-gyp leaves the addon. */
// Built from the sources above, not a source itself: the path is joined (not a `new URL` literal),
// so the code identity neither hashes a machine's build output nor fails where none was built.
export const NATIVE_ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'native', 'build', 'Release', 'hebb_kernels.node');

/** What the addon was built for: its vector ISA ('avx512', 'avx2', ...) and compiler ('gcc12.2'). */
export interface NativeBuildInfo {
  readonly isa: string;
  readonly compiler: string;
}

/** The loaded addon. */
export interface NativeAddon {
  readonly info: NativeBuildInfo;
  /** The kernels bound to `buffer` (every pointer is a byte offset into it). */
  bind(buffer: ArrayBuffer): Omit<KernelExports, 'memory'>;
}

interface RawAddon {
  info(): { isa: string; compiler: string; usable: boolean; reason: string };
  bind(buffer: ArrayBuffer): Omit<KernelExports, 'memory'>;
}

let loaded: Result<NativeAddon, string> | undefined;

/**
 * The addon, loaded once per process; an error value saying why not when it was never built
 * (no compiler at install), fails to load, or was built for a CPU feature this CPU lacks.
 */
export function loadNativeAddon(path: string = NATIVE_ADDON_PATH): Result<NativeAddon, string> {
  if (path === NATIVE_ADDON_PATH && loaded) return loaded;
  const r = loadUncached(path);
  if (path === NATIVE_ADDON_PATH) loaded = r;
  return r;
}

function loadUncached(path: string): Result<NativeAddon, string> {
  if (!existsSync(path)) return err(`the native kernels are not built (${path} is missing; npm ci builds them when a C++ compiler is present)`);
  let raw: RawAddon;
  try {
    raw = createRequire(import.meta.url)(path) as RawAddon;
  } catch (e) {
    return err(`the native kernels at ${path} do not load: ${e instanceof Error ? e.message : String(e)}`);
  }
  const info = raw.info();
  if (!info.usable) return err(`the native kernels at ${path} cannot run on this CPU: ${info.reason}`);
  // An addon built from older sources (before `npm run build:native`) lacks newer kernels: refuse it rather than fail mid-run.
  const probe = raw.bind(new ArrayBuffer(16)) as unknown as Record<string, unknown>;
  const missing = KERNEL_NAMES.filter((n) => typeof probe[n] !== 'function');
  if (missing.length > 0) return err(`the native kernels at ${path} are older than their sources (no ${missing.join(', ')}); rebuild them with npm run build:native`);
  return ok({ info: { isa: info.isa, compiler: info.compiler }, bind: (buffer) => raw.bind(buffer) });
}

/** The name the backend fact and reports give a native build: `native-<isa>-<compiler>`, e.g. `native-avx2-gcc12.2`. */
export function nativeTag(info: NativeBuildInfo): string {
  return `native-${info.isa}-${info.compiler}`;
}

/**
 * The native kernels over `memory` (a kernel instance's memory, sized once and never grown
 * afterwards: growing detaches the buffer, and the addon then refuses every call). The returned
 * object owns the addon's reference to the buffer; keep it, not copies of its functions.
 */
export function bindNative(addon: NativeAddon, memory: WebAssembly.Memory): KernelExports {
  const bound = addon.bind(memory.buffer);
  Object.defineProperty(bound, 'memory', { value: memory, enumerable: true });
  return bound as KernelExports;
}
