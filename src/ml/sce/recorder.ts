/**
 * What the SCE trainer records besides the loop's metrics (docs/sce.md, sce.json), as the loop's
 * observer (src/ml/loop.ts `LoopObserver`): the extra measured iterations (every `measureEvery`
 * steps, the end of the first epoch for Fig. 12, the per-neuron phase samples), each measured
 * layer's alignment series for the mean ± SD curves, the Hebbian update's alignment with SGD on
 * the rule-trained layers, the Fig. 2 and Fig. 12 snapshots, and the trajectory's accuracy.
 */
import type { SceExtras, SceSnapshot } from '../../metrics.ts';
import { alignments, cosine, mean } from '../alignment.ts';
import type { LoopObserver } from '../loop.ts';
import type { NeuronTrace } from '../per-neuron.ts';
import { layerName } from '../summary.ts';
import type { SceAdapter } from './adapter.ts';
import type { SceConfig } from './config.ts';
import { normalisedCrop, updateAlignment, windowCurve, type WindowCurve } from './measure.ts';
import type { SceModel } from './model.ts';
import type { SceBuffers } from './step.ts';
import type { SceData } from './train.ts';

/** The SCE's own recorders of one run. */
export class SceRecorder {
  private readonly measuredSteps: number[] = [];
  private readonly signal: number[][];
  private readonly full: number[][];
  private readonly rule: number[][];
  private readonly windowRule: number[][];
  private readonly before: Float32Array[];
  private readonly acc = { step: [] as number[], testLoss: [] as number[], testAcc: [] as number[], batchAcc: [] as number[] };
  private readonly snapIdx: number;
  private readonly firstEpochStep: number;
  private snapshot: SceSnapshot | null = null;
  private readonly fig12 = { firstEpoch: null as SceSnapshot | null, lowCosine: null as SceSnapshot | null };

  /** `ruleLayer(l)`: layer l learns by the Hebbian rule (its update's alignment with SGD is recorded). */
  constructor(
    private readonly cfg: SceConfig,
    data: SceData,
    private readonly m: SceModel,
    private readonly bufs: SceBuffers,
    private readonly ruleLayer: (l: number) => boolean,
    private readonly neurons: NeuronTrace | null,
  ) {
    const L = m.mlp.W.length;
    this.snapIdx = cfg.snapshot ? Number(cfg.snapshot.layer.slice(1)) - 1 : -1;
    if (cfg.snapshot && !(this.snapIdx >= 0 && this.snapIdx < L)) throw new Error(`snapshot layer '${cfg.snapshot.layer}' is not one of W1..W${L}`);
    if (cfg.fig12 && !cfg.snapshot) throw new Error('fig12 snapshots need snapshot_size > 0');
    const perEpoch = cfg.dropLast ? Math.floor(data.train.n / cfg.batch) : Math.ceil(data.train.n / cfg.batch);
    this.firstEpochStep = cfg.fig12 ? Math.min(Math.max(1, perEpoch), cfg.steps) : -1;
    this.signal = m.mlp.W.map(() => []);
    this.full = m.mlp.W.map(() => []);
    this.rule = m.mlp.W.map(() => []);
    this.windowRule = m.mlp.W.map(() => []);
    this.before = m.mlp.W.map((w) => new Float32Array(w.length));
  }

  /** The loop observer that fills this recorder; `model` gives the last step's and evaluation's accuracy. */
  observer(model: SceAdapter): LoopObserver {
    const cfg = this.cfg;
    const every = Math.max(1, cfg.measureEvery);
    return {
      measureAt: (step) => step % every === 0 || step === this.firstEpochStep || (this.neurons?.isPhaseStep(step) ?? false),
      measured: (step, a, inWindow) => {
        this.measuredSteps.push(step);
        a.forEach((al, l) => {
          this.signal[l]!.push(al.signal);
          this.full[l]!.push(al.full);
          if (this.ruleLayer(l)) this.before[l]!.set(this.m.mlp.W[l]!);
        });
        if (step === cfg.steps && cfg.snapshot) this.snapshot = this.snap(step);
        if (step === this.firstEpochStep) this.fig12.firstEpoch = this.snap(step);
        if (cfg.fig12 && inWindow) {
          const c = this.signal[this.snapIdx]!.at(-1)!;
          if (Number.isFinite(c) && (this.fig12.lowCosine === null || c < this.fig12.lowCosine.cosine)) this.fig12.lowCosine = this.snap(step);
        }
      },
      updated: (_step, inWindow) => {
        for (let l = 0; l < this.before.length; l++) {
          if (!this.ruleLayer(l)) continue;
          const u = updateAlignment(this.m.mlp.W[l]!, this.before[l]!, this.bufs.gW[l]!);
          this.rule[l]!.push(u);
          if (inWindow) this.windowRule[l]!.push(u);
        }
      },
      point: (step, _batchLoss, valLoss) => {
        this.acc.step.push(step);
        this.acc.testLoss.push(valLoss);
        this.acc.testAcc.push(model.lastAccuracy());
        this.acc.batchAcc.push(model.lastCorrect() / model.rows());
      },
    };
  }

  /** The snapshot of layer `snapshot.layer` at `step`: centre crops of −G and H, normalised, and their cosines. */
  private snap(step: number): SceSnapshot {
    const l = this.snapIdx;
    const sizes = this.cfg.sizes;
    const size = this.cfg.snapshot!.size;
    const g = Float32Array.from(this.bufs.gW[l]!, (v) => -v);
    const gradient = normalisedCrop(g, sizes[l]!, sizes[l + 1]!, size);
    const hebbian = normalisedCrop(this.bufs.H[l]!, sizes[l]!, sizes[l + 1]!, size);
    const cos = alignments(this.bufs.gW[l]!, this.m.mlp.W[l]!, this.bufs.H[l]!, 0, 0).signal;
    return { layer: this.cfg.snapshot!.layer, step, gradient, hebbian, cosine: cos, cropCosine: cosine(gradient.flat(), hebbian.flat()) };
  }

  /** sce.json's extras, with the curves sampled at the trajectory's steps `trajSteps`. */
  extras(trajSteps: readonly number[], hebbian: boolean): SceExtras {
    const cfg = this.cfg;
    const signalCurves: Record<string, WindowCurve> = {};
    const fullCurves: Record<string, WindowCurve> = {};
    const ruleCurves: Record<string, WindowCurve> = {};
    const ruleAlignment: Record<string, number> = {};
    for (let l = 0; l < this.signal.length; l++) {
      const name = layerName(l);
      signalCurves[name] = windowCurve(this.measuredSteps, this.signal[l]!, trajSteps, cfg.curveWindow);
      fullCurves[name] = windowCurve(this.measuredSteps, this.full[l]!, trajSteps, cfg.curveWindow);
      if (this.ruleLayer(l)) {
        ruleCurves[name] = windowCurve(this.measuredSteps, this.rule[l]!, trajSteps, cfg.curveWindow);
        ruleAlignment[name] = mean(this.windowRule[l]!);
      }
    }
    return {
      schema: 1,
      activation: cfg.activation,
      hidden: cfg.sizes.slice(1, -1),
      l1: cfg.l1,
      batchNorm: cfg.batchNorm,
      initScale: cfg.initScale,
      measureEvery: cfg.measureEvery,
      curves: { window: cfg.curveWindow, step: [...trajSteps], signal: signalCurves, full: fullCurves, rule: hebbian ? ruleCurves : null },
      accuracy: this.acc,
      ruleAlignment: hebbian ? ruleAlignment : null,
      snapshot: this.snapshot,
      ...(cfg.fig12 ? { fig12: this.fig12 } : {}),
    };
  }
}
