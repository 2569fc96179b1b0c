/**
 * Loads tfjs and switches it to the backend chosen by `selectBackend` (backend-select.ts).
 * Import this module lazily (inside a stage's `run`): it pulls in tfjs.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { selectBackend, type BackendInfo } from './backend-select.ts';
import { unreachable } from '../util/unreachable.ts';

/** The tfjs namespace. */
export type Tf = typeof TF;

let current: { info: BackendInfo; tf: Tf } | null = null;

/**
 * Initialises the backend `name` (or the one `selectBackend` picks when omitted) once per
 * process; throws with selectBackend's message when it is unavailable. Returns tfjs and the
 * backend's identity (for metrics and reports).
 */
export async function initBackend(name?: string): Promise<{ tf: Tf; info: BackendInfo }> {
  const sel = selectBackend({ forced: name });
  if (!sel.ok) throw new Error(sel.error.message);
  const info = sel.value;
  if (current) {
    if (current.info.name !== info.name) {
      throw new Error(`backend '${current.info.name}' is already initialised in this process; cannot switch to '${info.name}'`);
    }
    return current;
  }
  const tf = (await import('@tensorflow/tfjs')) as Tf;
  switch (info.name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      await import(info.packageName); // registers the 'tensorflow' backend
      break;
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // Under Node the .wasm binaries are read from disk: point tfjs at the package's dist dir.
      const require = createRequire(import.meta.url);
      const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
      wasm.setWasmPaths(join(dist, '/'));
      break;
    }
    case 'cpu':
      break;
    default:
      return unreachable(info.name);
  }
  const ok = await tf.setBackend(info.tfName);
  if (!ok) throw new Error(`tfjs could not initialise backend '${info.name}' (${info.packageName}@${info.version})`);
  await tf.ready();
  current = { tf, info };
  return current;
}


/** Internals of the wasm backend we rely on for zero-copy reads (checked at run time). */
interface WasmInternals {
  dataIdMap: { get(id: unknown): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
}

/**
 * Copies a float32 tensor's values into `out` (allocated when omitted). On wasm it reads the
 * wasm heap directly (a `dataSync` allocates and costs ~150 µs per 64 KB there); elsewhere it
 * falls back to `dataSync`.
 */
export function readInto(tf: Tf, t: TF.Tensor, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(t.size);
  if (dst.length !== t.size) throw new Error(`readInto: buffer of ${dst.length} for a tensor of ${t.size}`);
  const be = tf.backend() as unknown as Partial<WasmInternals>;
  const entry = tf.getBackend() === 'wasm' && be.dataIdMap && be.wasm ? be.dataIdMap.get(t.dataId) : undefined;
  if (entry && t.dtype === 'float32') {
    dst.set(new Float32Array(be.wasm!.HEAPU8.buffer, entry.memoryOffset, t.size));
  } else {
    dst.set(t.dataSync() as Float32Array);
  }
  return dst;
}

/**
 * A tensor holding a copy of `data`: the cpu backend keeps a reference to the array it is given,
 * and the training loop updates its parameter arrays in place.
 */
export function upload(tf: Tf, data: Float32Array, shape: readonly number[]): TF.Tensor {
  return tf.tensor(tf.getBackend() === 'wasm' ? data : data.slice(), shape as number[], 'float32');
}
