/**
 * Trains one SRE transformer cell with one learning rule and measures the Hebbian alignment of
 * every weight matrix (docs/definitions.md §Alignment to §Learning rules). The same loop as the MLP's (src/ml/train.ts): [noise] → step
 * (G and, on measured iterations, H) → measure → rule update → record, with the rules, cosines,
 * stationarity and collapse rule imported from src/ml. Metrics follow src/metrics.ts with
 * model 'transformer'; matrices are named 'emb', 'pos', 'enc1.qkv', ..., 'W1', 'W2', 'W3'.
 */
import type * as TF from '@tensorflow/tfjs';
import type { CellMetrics, CellStatus } from '../../metrics.ts';
import { unreachable } from '../../util/result.ts';
import { alignments, targetVariance } from '../alignment.ts';
import { upload, type Tf } from '../backend.ts';
import { epochBatches } from '../batches.ts';
import type { LoopConfig } from '../cell-params.ts';
import { kernelsSuffix, selectKernels, type KernelsChoice } from '../kernels-select.ts';
import { initMlp } from '../mlp.ts';
import { fixedMlp, fixedMlpBatchMean } from '../mlp-tf.ts';
import { rngFor } from '../rng.ts';
import { adamUpdate, clipGlobalNorm, projectSignal, randomNNSignal, randomNNUpdate, sgdUpdate, type AdamConfig, type AdamState, type RandomNNConfig } from '../rules.ts';
import { finishCell, RunTrace, type TrainHooks } from '../summary.ts';
import type { RuleName } from '../train.ts';
import { initTransformer, numel, type InitOptions, type TransformerConfig, type TransformerParams } from './model.ts';
import { simdModule } from './simd.ts';
import { datasetLoss, gradBuffers, transformerStep, workspace, type DfaFeedback, type TransformerBackward } from './step.ts';

/** Everything that defines one transformer training cell. */
export interface TransformerTrainConfig extends LoopConfig {
  readonly model: TransformerConfig;
  readonly rule: RuleName;
  /** Persistent noise σ added to every parameter at the start of every iteration. */
  readonly sigma: number;
  readonly init: InitOptions;
  readonly adam: AdamConfig;
  readonly dfa: { readonly feedbackScale: number; readonly clip: number };
  readonly randomnn: RandomNNConfig & { readonly hidden: readonly number[]; readonly outputs: number };
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
  const T = c.seqLen;
  const dOut = c.head[c.head.length - 1]!;
  const p = initTransformer(c, rngFor(cfg.seed, 'init'), cfg.init);
  const specs = p.specs;
  const params = specs.map((s) => p.values[s.name]!);
  const matrices = specs.flatMap((s, i) => (s.matrix ? [{ name: s.matrix, param: s.name, index: i }] : []));
  const steps = cfg.steps;
  const K = Math.min(cfg.windowK, steps);
  const every = Math.max(1, cfg.trajectoryEvery);
  const kernels = backend.kernels ?? unwrapKernels(selectKernels()); // the same choice as workspace()'s default
  const ws = workspace(c, cfg.batch, await simdModule(), kernels);
  const bufs = gradBuffers(p);
  const G = specs.map((s) => bufs.G[s.name]!);

  const adam: AdamState[] = params.map((a) => ({ m: new Float32Array(a.length), v: new Float32Array(a.length) }));
  const feedback = cfg.rule === 'dfa' ? dfaFeedback(c, cfg.seed, cfg.dfa.feedbackScale) : undefined;
  let rnn: { net: ReturnType<typeof fixedMlp>; M: Float32Array[]; Wstar: Float32Array[]; hist: Float32Array } | undefined;
  if (cfg.rule === 'randomnn') {
    const rng = rngFor(cfg.seed, 'randomnn');
    const net = initMlp([c.vocab, ...cfg.randomnn.hidden, cfg.randomnn.outputs], rng);
    const M = params.map((a) => rng.fillNormal(new Float32Array(a.length * cfg.randomnn.outputs)));
    rnn = { net: fixedMlp(tf, net), M, Wstar: params.map((a) => new Float32Array(a.length)), hist: new Float32Array(cfg.batch * c.vocab) };
  }
  const mode: TransformerBackward = cfg.rule === 'randomnn' ? 'none' : cfg.rule === 'dfa' ? 'dfa' : 'bp';

  // Batches: a fresh permutation per epoch (stream 'shuffle'), assembled in JS.
  const batchRows = epochBatches(cfg.seed, train.n, cfg.batch, cfg.dropLast);
  const noiseRng = rngFor(cfg.seed, 'noise');
  const bTok = new Int32Array(cfg.batch * T);
  const bY = new Float32Array(cfg.batch * dOut);
  const nextBatch = (): number => {
    const idx = batchRows();
    for (let r = 0; r < idx.length; r++) {
      const k = idx[r]!;
      bTok.set(train.tokens.subarray(k * T, (k + 1) * T), r * T);
      bY.set(train.y.subarray(k * dOut, (k + 1) * dOut), r * dOut);
    }
    return idx.length;
  };

  const weights = matrices.map((m) => params[m.index]!);
  const trace = new RunTrace(matrices.map((m) => m.name), weights);
  const noise = cfg.sigma > 0 ? new Float32Array(Math.max(...params.map((a) => a.length))) : null;
  let status: CellStatus = 'ok';
  let done = 0;

  for (let t = 0; t < steps; t++) {
    if (noise) {
      for (const a of params) {
        const n = noiseRng.fillNormal(noise.subarray(0, a.length), 0, cfg.sigma);
        for (let j = 0; j < a.length; j++) a[j] = a[j]! + n[j]!;
      }
    }
    const inWindow = t >= steps - K;
    const onTraj = (t + 1) % every === 0 || t === steps - 1;
    const measure = inWindow || onTraj;
    const B = nextBatch();
    const batch = { tokens: bTok.subarray(0, B * T), y: bY.subarray(0, B * dOut), B };
    let batchLoss = NaN;
    if (mode !== 'none' || measure) {
      batchLoss = transformerStep(p, batch, { mode, ...(feedback ? { feedback } : {}), hebb: measure }, bufs, ws);
    }
    if (mode === 'dfa') trace.clipNorm('global', cfg.dfa.clip, clipGlobalNorm(G, cfg.dfa.clip), inWindow);
    if (rnn) {
      const x = upload(tf, tokenHistogram(batch.tokens, B, T, c.vocab, rnn.hist).subarray(0, B * c.vocab), [B, c.vocab]) as TF.Tensor2D;
      const r = fixedMlpBatchMean(tf, rnn.net, x);
      x.dispose();
      for (let i = 0; i < params.length; i++) {
        const Ws = projectSignal(rnn.M[i]!, r, rnn.Wstar[i]!);
        const g = G[i]!;
        randomNNSignal(params[i]!, Ws, cfg.randomnn, g);
        for (let j = 0; j < g.length; j++) g[j] = -g[j]!; // G = −g
      }
    }

    if (measure) matrices.forEach((m, k) => trace.alignment(k, alignments(G[m.index]!, params[m.index]!, bufs.H[m.name]!, cfg.gamma), inWindow, onTraj));
    if (inWindow) matrices.forEach((m, k) => trace.addSignal(k, G[m.index]!));

    let finite = Number.isFinite(batchLoss) || mode === 'none';
    const ss = new Float64Array(params.length);
    for (let i = 0; i < params.length; i++) {
      switch (cfg.rule) {
        case 'sgd':
        case 'dfa':
          ss[i] = sgdUpdate(params[i]!, G[i]!, cfg.lr, cfg.gamma);
          break;
        case 'adam':
          ss[i] = adamUpdate(params[i]!, G[i]!, adam[i]!, t + 1, cfg.lr, cfg.gamma, cfg.adam);
          break;
        case 'randomnn':
          ss[i] = randomNNUpdate(params[i]!, G[i]!, cfg.lr, cfg.gamma, cfg.randomnn.clip, (n) => trace.clipNorm('per-parameter', cfg.randomnn.clip, n, inWindow));
          break;
        default:
          return unreachable(cfg.rule);
      }
      if (!Number.isFinite(ss[i]!)) finite = false;
    }
    matrices.forEach((m, k) => trace.norm(k, Math.sqrt(ss[m.index]!)));
    done = t + 1;
    if (!finite) {
      status = 'diverged';
      hooks.log?.(`diverged at step ${t + 1}`);
      break;
    }
    if (onTraj) {
      trace.point(t + 1, batchLoss, datasetLoss(p, val.tokens, val.y, val.n, ws));
      hooks.progress?.(t + 1, steps);
    }
  }

  const traj = trace.traj;
  const valFinal = status === 'diverged' ? NaN : traj.step[traj.step.length - 1] === done ? traj.valLoss[traj.valLoss.length - 1]! : datasetLoss(p, val.tokens, val.y, val.n, ws);
  const trainFinal = status === 'diverged' ? NaN : datasetLoss(p, train.tokens, train.y, train.n, ws);
  const targetVar = targetVariance(val.y, val.n, dOut);
  rnn?.net.dispose();
  const metrics = finishCell(trace, {
    model: 'transformer', rule: cfg.rule, sigma: cfg.sigma, cfg, steps: done, windowK: K, every, weights, status,
    loss: { trainFinal, valFinal, targetVar }, backend: { name: backend.name, version: `${backend.version}${kernelsSuffix(kernels)}` },
  });
  return { metrics, params: p };
}

function unwrapKernels(r: ReturnType<typeof selectKernels>): KernelsChoice {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

