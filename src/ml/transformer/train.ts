/**
 * Trains one SRE transformer cell with one learning rule and measures the Hebbian alignment of
 * every weight matrix (docs/definitions.md §Alignment to §Learning rules). The loop is the MLP's
 * (src/ml/loop.ts): [noise] → step (G and, on measured iterations, H) → the rule's signal →
 * measure → the rule's update → record, the rule a module of src/ml/rules/ (registry.ts). This
 * file is the transformer's `ModelAdapter` and `trainTransformer`. Metrics follow src/metrics.ts
 * with model 'transformer'; matrices are named 'emb', 'pos', 'enc1.qkv', ..., 'W1', 'W2', 'W3'.
 */
import type { CellMetrics } from '../../metrics.ts';
import { targetVariance } from '../alignment.ts';
import type { Tf } from '../backend.ts';
import { epochBatches, gatherRows } from '../batches.ts';
import type { LoopConfig } from '../cell-params.ts';
import { kernelsSuffix, selectKernels, type KernelsChoice } from '../kernels-select.ts';
import { runLoop, type ModelAdapter } from '../loop.ts';
import { kernelSteppers, type MlpStepperSource } from '../mlp-stepper.ts';
import { DEFAULT_READINGS } from '../readings.ts';
import { rngFor } from '../rng.ts';
import { boundRule, type RuleName, type RuleOptions } from '../rules/registry.ts';
import { finishCell, type TrainHooks } from '../summary.ts';
import { initTransformer, type InitOptions, type TransformerConfig, type TransformerParams } from './model.ts';
import { simdModule } from './simd.ts';
import { datasetLoss, gradBuffers, transformerStep, workspace, type DfaFeedback, type Workspace } from './step.ts';

/** Everything that defines one transformer training cell; every rule's options (rules/registry.ts RuleOptions) under its name. */
export interface TransformerTrainConfig extends LoopConfig, RuleOptions {
  readonly model: TransformerConfig;
  readonly rule: RuleName;
  /** Persistent noise σ added to every parameter at the start of every iteration. */
  readonly sigma: number;
  readonly init: InitOptions;
  /** The matrix Table 1 reports ('W2'; 'W1' for DFA). */
  readonly reportedLayer: string;
}

/** Token sequences [n, T] and targets [n, d_out], row-major. */
export interface TokenDataset {
  readonly tokens: Int32Array;
  readonly y: Float32Array;
  readonly n: number;
}

/** A finished cell. */
export interface TransformerTrainResult {
  readonly metrics: CellMetrics;
  readonly params: TransformerParams;
}

/**
 * DFA's fixed feedback from stream 'dfa': one matrix per hidden head layer, then one for the
 * pooled representation; entries uniform(±scale/√d_out) (the MLP's decision), stored [d_out, n].
 */
export function dfaFeedback(c: TransformerConfig, seed: number, scale: number): DfaFeedback {
  const rng = rngFor(seed, 'dfa');
  const dOut = c.head[c.head.length - 1]!;
  const bound = scale / Math.sqrt(dOut);
  const hidden = c.head.slice(1, -1).map((n) => rng.fillUniform(new Float32Array(dOut * n), -bound, bound));
  const pool = rng.fillUniform(new Float32Array(dOut * c.dModel), -bound, bound);
  return { hidden, pool };
}

/** The RandomNN network's input: each sequence's one-hot tokens averaged over positions, [B, V]. */
export function tokenHistogram(tokens: Int32Array, B: number, T: number, V: number, out: Float32Array): Float32Array {
  out.fill(0, 0, B * V);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) { const k = b * V + tokens[b * T + t]!; out[k] = out[k]! + 1 / T; }
  return out;
}

/**
 * Trains one cell (compiling or loading the SIMD kernels first) on `backend.kernels` (default:
 * kernels-select.ts's choice: native when built, else wasm; stages pass the one their backend
 * fact names). The metrics' backendVersion carries the native kernels' tag (`4.22.0+kernels=…`).
 * Never throws on divergence (status 'diverged').
 */
export async function trainTransformer(
  tf: Tf,
  backend: { name: string; version: string; kernels?: KernelsChoice },
  cfg: TransformerTrainConfig,
  train: TokenDataset,
  val: TokenDataset,
  hooks: TrainHooks = {},
): Promise<TransformerTrainResult> {
  const c = cfg.model;
  const p = initTransformer(c, rngFor(cfg.seed, 'init'), cfg.init);
  const kernels = backend.kernels ?? unwrapKernels(selectKernels()); // the same choice as workspace()'s default
  const ws = workspace(c, cfg.batch, await simdModule(), kernels);
  const rule = boundRule(cfg.rule, cfg);
  // RandomNN's fixed network runs on the same kernels as the step (no tfjs inside the loop).
  const steppers = rule.backward === 'none' ? await kernelSteppers(kernels) : null;
  const model = transformerAdapter(tf, p, ws, cfg, train, val, steppers);
  const r = runLoop(model, rule, { ...cfg, noiseMode: 'persistent', readings: DEFAULT_READINGS }, { hooks });
  const metrics = finishCell(r.trace, {
    model: 'transformer', rule: cfg.rule, sigma: cfg.sigma, cfg, steps: r.steps, windowK: r.windowK, every: r.every, weights: r.weights, status: r.status,
    loss: { trainFinal: r.trainFinal, valFinal: r.valFinal, targetVar: targetVariance(val.y, val.n, c.head[c.head.length - 1]!) },
    backend: { name: backend.name, version: `${backend.version}${kernelsSuffix(kernels)}` },
  });
  return { metrics, params: p };
}

/**
 * The transformer as the loop sees it: every parameter in spec order (weights and embeddings
 * measured), the step on the SIMD workspace, DFA's feedback (`dfaFeedback`) drawn when the DFA rule asks, batches
 * in JS from stream 'shuffle', and RandomNN's probe reading each sequence's token histogram.
 */
function transformerAdapter(tf: Tf, p: TransformerParams, ws: Workspace, cfg: TransformerTrainConfig, train: TokenDataset, val: TokenDataset, steppers: MlpStepperSource | null): ModelAdapter {
  const c = cfg.model;
  const T = c.seqLen;
  const dOut = c.head[c.head.length - 1]!;
  const specs = p.specs;
  const params = specs.map((s) => p.values[s.name]!);
  const matrices = specs.flatMap((s, i) => (s.matrix ? [{ name: s.matrix, index: i }] : []));
  const bufs = gradBuffers(p);
  const grads = specs.map((s) => bufs.G[s.name]!);
  let feedback: DfaFeedback | undefined;
  const batchRows = epochBatches(cfg.seed, train.n, cfg.batch, cfg.dropLast);
  const bTok = new Int32Array(cfg.batch * T);
  const bY = new Float32Array(cfg.batch * dOut);
  let B = 0;
  return {
    params,
    grads,
    normOrder: grads,
    biases: specs.map((s) => s.kind === 'bias'),
    probeWidth: c.vocab,
    useFeedback: (scale) => {
      feedback = dfaFeedback(c, cfg.seed, scale);
    },
    probe: (net) => {
      if (!steppers) throw new Error('the probe network needs the kernel steppers (a rule with no backward pass)');
      const stepper = steppers.create(tf, net.sizes, cfg.batch);
      const f = stepper.fixed(net);
      const hist = new Float32Array(cfg.batch * c.vocab);
      return {
        mean: () => f.mean(tokenHistogram(bTok.subarray(0, B * T), B, T, c.vocab, hist), B),
        dispose: () => {
          f.dispose();
          stepper.dispose();
        },
      };
    },
    matrices,
    nextBatch: () => {
      const idx = batchRows();
      gatherRows(train.tokens, T, idx, bTok);
      gatherRows(train.y, dOut, idx, bY);
      B = idx.length;
    },
    step: (req) => {
      const batch = { tokens: bTok.subarray(0, B * T), y: bY.subarray(0, B * dOut), B };
      return transformerStep(p, batch, { mode: req.backward, ...(feedback ? { feedback } : {}), hebb: req.hebb }, bufs, ws);
    },
    hebbian: (k) => bufs.H[matrices[k]!.name]!,
    loss: (which) => (which === 'val' ? datasetLoss(p, val.tokens, val.y, val.n, ws) : datasetLoss(p, train.tokens, train.y, train.n, ws)),
  };
}

function unwrapKernels(r: ReturnType<typeof selectKernels>): KernelsChoice {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}
