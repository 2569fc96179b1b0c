/**
 * Decides which build of the training kernels a run uses, beside the tfjs backend (backend-select.ts):
 * 'native' (the N-API addon, src/ml/transformer/native.ts) when it was built and loads on this
 * CPU, else 'wasm' (the WebAssembly SIMD module). `HEBB_KERNELS=wasm|native` forces one; a forced
 * native build that cannot load is an error value, never a silent fallback (the builds' results
 * differ in the last bits). Loads the small addon to find out, never tfjs.
 */
import { err, ok, type Result } from '../util/result.ts';
import { loadNativeAddon, nativeTag, type NativeAddon } from './transformer/native.ts';

/** The kernel builds, by the name users see. */
export const KERNEL_NAMES = ['native', 'wasm'] as const;
/** A kernel build's name. */
export type KernelsName = (typeof KERNEL_NAMES)[number];

/** What was chosen: the wasm module, or the native addon with its tag (`native-avx2-gcc12.2`). */
export type KernelsChoice =
  /** The WebAssembly SIMD kernels; `why` says why native was not taken when it was not forced. */
  | { readonly name: 'wasm'; readonly why?: string }
  /** The native addon. */
  | { readonly name: 'native'; readonly tag: string; readonly addon: NativeAddon };

/** Why no kernels could be chosen. */
export type KernelsError =
  /** HEBB_KERNELS names no build we know. */
  | { readonly reason: 'unknown-kernels'; readonly message: string }
  /** HEBB_KERNELS=native, but the addon cannot be used. */
  | { readonly reason: 'unavailable'; readonly message: string };

/**
 * Chooses the kernels: `forced` (else `env.HEBB_KERNELS`) when given, else native when it loads,
 * else wasm. `load` is injectable for tests.
 */
export function selectKernels(
  options: { forced?: string | undefined; env?: Readonly<Record<string, string | undefined>>; load?: () => Result<NativeAddon, string> } = {},
): Result<KernelsChoice, KernelsError> {
  const env = options.env ?? process.env;
  const load = options.load ?? (() => loadNativeAddon());
  const raw = options.forced ?? (env.HEBB_KERNELS && env.HEBB_KERNELS.trim() !== '' ? env.HEBB_KERNELS : undefined);
  const wanted = raw?.trim().toLowerCase();
  if (wanted !== undefined && wanted !== 'native' && wanted !== 'wasm') {
    return err({ reason: 'unknown-kernels', message: `unknown kernels '${raw}': expected one of ${KERNEL_NAMES.join(', ')}` });
  }
  if (wanted === 'wasm') return ok({ name: 'wasm' });
  const addon = load();
  if (addon.ok) return ok({ name: 'native', tag: nativeTag(addon.value.info), addon: addon.value });
  if (wanted === 'native') {
    return err({ reason: 'unavailable', message: `kernels 'native' were forced (${options.forced !== undefined ? 'explicitly' : 'HEBB_KERNELS'}) but ${addon.error}` });
  }
  return ok({ name: 'wasm', why: addon.error });
}

/**
 * The backend fact's suffix for a choice: '' for wasm (so facts, and the cache keys built on
 * them, keep the form they had before native kernels existed), `+kernels=<tag>` for native.
 */
export function kernelsSuffix(k: KernelsChoice): string {
  return k.name === 'native' ? `+kernels=${k.tag}` : '';
}

/** The kernels a backend fact names: `{ name: 'wasm' }` or `{ name: 'native', tag }`. */
export function kernelsFromFact(fact: string | undefined): { readonly name: 'wasm' } | { readonly name: 'native'; readonly tag: string } {
  const m = /\+kernels=([^+]+)/.exec(fact ?? '');
  return m ? { name: 'native', tag: m[1]! } : { name: 'wasm' };
}

/**
 * The kernels to run a cell whose fact named `wanted`: wasm, or the loaded addon when its tag is
 * the one the fact names (a different build would give different bytes under the same key).
 */
export function kernelsForFact(wanted: ReturnType<typeof kernelsFromFact>, load: () => Result<NativeAddon, string> = () => loadNativeAddon()): Result<KernelsChoice, KernelsError> {
  if (wanted.name === 'wasm') return ok({ name: 'wasm' });
  const addon = load();
  if (!addon.ok) return err({ reason: 'unavailable', message: `the cell's backend fact names kernels ${wanted.tag}, but ${addon.error}` });
  const tag = nativeTag(addon.value.info);
  if (tag !== wanted.tag) return err({ reason: 'unavailable', message: `the cell's backend fact names kernels ${wanted.tag}, but the built addon is ${tag}` });
  return ok({ name: 'native', tag, addon: addon.value });
}
