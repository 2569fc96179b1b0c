/**
 * The SCE MLP's parameters (3072 → hidden… → 10): the weights and biases of src/ml/mlp.ts
 * (stored [in, out], PyTorch init), plus, when batch norm is on, a scale and a shift per hidden
 * unit and the running statistics used at evaluation (PyTorch `BatchNorm1d` semantics).
 */
import { initMlp, type MlpParams } from '../mlp.ts';
import { rngFor } from '../rng.ts';

/** Batch-norm parameters and running statistics, one entry per hidden layer. */
export interface BatchNormState {
  /** Learned scale (init 1), [n_l]. */
  readonly scale: Float32Array[];
  /** Learned shift (init 0), [n_l]. */
  readonly shift: Float32Array[];
  /** Running mean of the pre-activations (init 0), [n_l]. */
  readonly runMean: Float32Array[];
  /** Running (unbiased) variance (init 1), [n_l]. */
  readonly runVar: Float32Array[];
}

/** An SCE model: MLP parameters and optional batch norm. */
export interface SceModel {
  readonly mlp: MlpParams;
  readonly bn: BatchNormState | null;
}

/** A fresh model: PyTorch init scaled by `initScale` from stream `init` of `seed`; BN scale 1, shift 0. */
export function initSceModel(sizes: readonly number[], seed: number, initScale: number, batchNorm: boolean): SceModel {
  const mlp = initMlp(sizes, rngFor(seed, 'init'), initScale);
  const hidden = sizes.slice(1, -1);
  const bn = batchNorm
    ? {
        scale: hidden.map((n) => new Float32Array(n).fill(1)),
        shift: hidden.map((n) => new Float32Array(n)),
        runMean: hidden.map((n) => new Float32Array(n)),
        runVar: hidden.map((n) => new Float32Array(n).fill(1)),
      }
    : null;
  return { mlp, bn };
}

/** Every trained parameter array in a fixed order: W1, b1, W2, b2, …, then BN scale1, shift1, …. */
export function trainedParams(m: SceModel): Float32Array[] {
  const out: Float32Array[] = [];
  for (let l = 0; l < m.mlp.W.length; l++) out.push(m.mlp.W[l]!, m.mlp.b[l]!);
  if (m.bn) for (let l = 0; l < m.bn.scale.length; l++) out.push(m.bn.scale[l]!, m.bn.shift[l]!);
  return out;
}

