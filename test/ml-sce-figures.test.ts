// SCE aggregation and figures from in-memory cells: means/SD over seeds, diverged cells left out,
// curves, the Fig. 2 snapshot choice, trends never evaluated on synthetic data, every figure
// compiles and renders to SVG, and the synthetic label is on every figure.
import { describe, expect, it } from 'vitest';
import { syntheticMetrics } from './synthetic.ts';
import { aggregatePoints, curves, snapshots, trends, type SceCell } from '../src/report/aggregate/sce.ts';
import { sceFigureDefs } from '../src/report/figures/sce-figures.ts';
import { renderSvg } from '../src/report/figures/render.ts';
import type { SceExtras } from '../src/ml/sce/train.ts';
import type { CellMetrics } from '../src/metrics.ts';

function extras(seed: number, gamma: number): SceExtras {
  const c = { mean: [0.1 + gamma, 0.2 + gamma, 0.3 + seed / 10], sd: [0.05, 0.05, 0.05] };
  return {
    schema: 1, activation: 'tanh', hidden: [128, 128], l1: 0, batchNorm: false, initScale: 1, measureEvery: 5,
    curves: { window: 10, step: [10, 20, 30], signal: { W2: c }, full: { W2: c }, rule: { W2: c } },
    accuracy: { step: [10, 20, 30], testLoss: [2, 1.8, 1.7], testAcc: [0.2, 0.3, 0.35], batchAcc: [0.2, 0.3, 0.4] },
    ruleAlignment: { W2: 0.01 }, snapshot: { layer: 'W2', step: 30, gradient: [[0.1, -0.2], [0.3, 0]], hebbian: [[0.2, -0.1], [0.3, 0.1]], cosine: 0.9, cropCosine: 0.8 },
  };
}
function cell(p: { gamma: number; seed: number; alignment: number; status?: 'ok' | 'diverged'; params?: Record<string, unknown> }): SceCell {
  const m = syntheticMetrics({ model: 'sce', gamma: p.gamma, seed: p.seed, alignment: p.alignment, status: p.status ?? 'ok' });
  const metrics: CellMetrics = { ...m, loss: { ...m.loss, valAcc: 0.4 + p.alignment / 10 } };
  return { cell: `x@${p.gamma}-${p.seed}`, params: { gamma: p.gamma, seed: p.seed, ...p.params }, metrics, extras: extras(p.seed, p.gamma) };
}

describe('SCE aggregation', () => {
  it('means and SDs over seeds per (series, x); diverged cells are counted and left out', () => {
    const cs = [cell({ gamma: 0, seed: 0, alignment: 0.1 }), cell({ gamma: 0, seed: 1, alignment: 0.3 }), cell({ gamma: 0, seed: 2, alignment: 0.9, status: 'diverged' }), cell({ gamma: 1e-3, seed: 0, alignment: 0.5 })];
    const pts = aggregatePoints(cs, () => 'tanh', (c) => c.metrics!.gamma);
    expect(pts.map((p) => p.x)).toEqual([0, 1e-3]);
    expect(pts[0]!.alignment).toBeCloseTo(0.2, 12);
    expect(pts[0]!.alignmentSd).toBeCloseTo(Math.SQRT2 * 0.1, 12);
    expect(pts[0]!.nDiverged).toBe(1);
    expect(pts[0]!.n).toBe(3);
    expect(pts[1]!.alignmentSd).toBeNull();
  });

  it('curves average the seeds; snapshots take the lowest seed per γ, highest γ first', () => {
    const cs = [cell({ gamma: 0, seed: 1, alignment: 0 }), cell({ gamma: 0, seed: 0, alignment: 0 }), cell({ gamma: 0.05, seed: 0, alignment: 0 })];
    const cv = curves(cs.slice(0, 2), () => 'a', 'signal', 'W2');
    expect(cv[0]!.mean[2]).toBeCloseTo(0.35, 12);
    expect(snapshots(cs).map((s) => [s.gamma, s.seed])).toEqual([[0.05, 0], [0, 0]]);
  });

  it('trends: Spearman ρ on real data, never evaluated on synthetic data', () => {
    const pts = aggregatePoints([0, 1e-4, 1e-3].map((g, i) => cell({ gamma: g, seed: 0, alignment: i / 10 })), () => 's', (c) => c.metrics!.gamma);
    expect(trends('3', pts, false)[0]).toMatchObject({ status: 'evaluated', rho: 1 });
    expect(trends('3', pts, true)[0]).toMatchObject({ status: 'not-evaluated', rho: null, reason: 'synthetic data: code path only, not evidence' });
  });
});

describe('SCE figures', () => {
  const grid = (extra: (g: number) => Record<string, unknown>) =>
    [0, 5e-3].flatMap((g) => [0, 1].map((s) => cell({ gamma: g, seed: s, alignment: g * 50 + s / 10, params: extra(g) })));
  const groups = {
    fig2: grid(() => ({})),
    fig3_act: grid(() => ({ activation: 'relu' })),
    fig3_arch: grid(() => ({ arch: 'h128x2' })),
    fig4: grid(() => ({})),
    fig7: grid(() => ({ init_scale: 2 })),
    fig8: grid(() => ({})),
    fig9: grid(() => ({})),
    fig11_l1: grid(() => ({ l1: 1e-4 })),
    fig11_l2: grid(() => ({})),
    fig11_bn: grid(() => ({ batch_norm: true })),
  };

  it('draws every figure, each labelled when the data is synthetic, and renders them to SVG', async () => {
    const { figures, summary } = sceFigureDefs(groups, { synthetic: true, layer: 'W2' });
    expect(figures.map((f) => f.figure)).toEqual(['2', '3', '3', '4', '7', '8', '9', '11']);
    for (const f of figures) {
      expect(JSON.stringify(f.spec)).toContain('synthetic data: code path only, not evidence');
      expect(f.caption).toContain('not evidence');
      const svg = await renderSvg(f.spec);
      expect(svg.startsWith('<svg')).toBe(true);
    }
    expect(summary.synthetic).toBe(true);
    expect(summary.trends.every((t) => t.status === 'not-evaluated')).toBe(true);
  });

  it('real data: no synthetic label; an empty group draws nothing', () => {
    const { figures } = sceFigureDefs({ fig8: groups.fig8 }, { synthetic: false, layer: 'W2' });
    expect(figures.map((f) => f.name)).toEqual(['sce-fig8-batch']);
    expect(JSON.stringify(figures[0]!.spec)).not.toContain('synthetic');
  });
});

describe('Fig. 12 and the stand-in label', () => {
  it('draws Fig. 12 from the fig2 cell with the largest γ, three moments of training; a stand-in note goes into every caption', async () => {
    const snap = (step: number, cosine: number) => ({ layer: 'W2', step, gradient: [[1, 0], [0, 1]], hebbian: [[1, 0], [0, -1]], cosine, cropCosine: 0 });
    const fig2 = [0, 0.05].flatMap((g) => [1, 0].map((s) => {
      const c = cell({ gamma: g, seed: s, alignment: 0.1 });
      return { ...c, extras: { ...c.extras!, fig12: { firstEpoch: snap(4, 0.2), lowCosine: snap(27, 0.05) } } };
    }));
    const { figures } = sceFigureDefs({ fig2 }, { synthetic: false, layer: 'W2', note: 'Fashion-MNIST: a stand-in' });
    expect(figures.map((f) => f.figure)).toEqual(['2', '12']);
    const f12 = figures[1]!;
    expect(f12.caption).toMatch(/at γ = 0\.05 \(seed 0\) after the first epoch/);
    const spec = JSON.stringify(f12.spec);
    for (const label of ['after epoch 1 (step 4)', 'lowest cosine of the window (step 27)', 'end of training (step 30)']) expect(spec).toContain(label);
    for (const f of figures) expect(f.caption).toContain('Fashion-MNIST: a stand-in.');
    expect((await renderSvg(f12.spec)).startsWith('<svg')).toBe(true);
  });
});
