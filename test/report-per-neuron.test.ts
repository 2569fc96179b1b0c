// Per-neuron dynamics (src/report/aggregate/per-neuron.ts, figures/per-neuron-figures.ts): shares
// over seeds per γ, the anti-Hebbian trend, the heatmap's cell and neuron order, and the figures.
import { describe, expect, it } from 'vitest';
import { labelModels, perNeuronSummary } from '../src/report/aggregate/per-neuron.ts';
import { perNeuronFigures } from '../src/report/figures/per-neuron-figures.ts';
import { renderSvg } from '../src/report/figures/render.ts';
import type { CellRecord } from '../src/report/aggregate/cells.ts';
import type { CellMetrics } from '../src/metrics.ts';

function cell(gamma: number, seed: number, windowMean: number[]): CellRecord {
  const anti = windowMean.filter((v) => v < 0).length / windowMean.length;
  const metrics = {
    model: 'mlp', gamma, seed, status: 'ok',
    perNeuron: { layer: 'W2', steps: [10, 20], full: [windowMean.map((v) => v / 2), windowMean], windowMean, hebbianFraction: 1 - anti, antiHebbianFraction: anti },
  } as unknown as CellMetrics;
  return { cell: `sre-per-neuron@g${gamma}-s${seed}`, params: { gamma, seed }, metrics } as CellRecord;
}

describe('per-neuron summary', () => {
  const cells = [cell(0, 0, [0.5, 0.2, -0.1, 0.3]), cell(0, 1, [0.5, 0.2, 0.1, 0.3]), cell(1e-3, 0, [0.5, -0.2, -0.1, 0.3]), cell(5e-3, 1, [-0.5, -0.2, -0.1, 0.3]), cell(5e-3, 0, [-0.5, -0.2, -0.1, -0.3])];
  it('averages the shares over seeds, evaluates the trend from 3 γ, and picks the largest γ and lowest seed for the heatmap', () => {
    const s = perNeuronSummary(cells);
    expect(s.shares.map((x) => [x.gamma, x.seeds, x.antiHebbian.mean])).toEqual([[0, 2, 0.125], [1e-3, 1, 0.5], [5e-3, 2, 0.875]]);
    expect(s.trend).toEqual([{ model: 'mlp', rho: 1, grows: true, gammas: 3 }]);
    const h = s.heatmaps[0]!;
    expect(h.cell).toBe('sre-per-neuron@g0.005-s0');
    expect(h.neurons).toEqual([2, 1, 3, 0]); // by window mean, highest first: −0.1, −0.2, −0.3, −0.5
    expect(h.full[1]).toEqual([-0.1, -0.2, -0.3, -0.5]);
  });

  it('draws a heatmap per model and the share plot; none without per-neuron cells', async () => {
    const figs = perNeuronFigures(perNeuronSummary(cells), 'per-neuron');
    expect(figs.map((f) => f.name)).toEqual(['per-neuron-mlp-heatmap', 'per-neuron-anti-hebbian-share']);
    expect(figs[1]!.caption).toMatch(/Spearman ρ = 1\.00, grows with γ as the paper says/);
    for (const f of figs) expect((await renderSvg(f.spec)).startsWith('<svg')).toBe(true);
    expect(perNeuronFigures(perNeuronSummary([]), 'x')).toEqual([]);
  });

  it('labelModels keeps two families of one model apart (the SCE MLP on CIFAR-10 and on the stand-in)', () => {
    const sce = (c: CellRecord): CellRecord => ({ ...c, metrics: { ...c.metrics!, model: 'sce' } });
    const s = perNeuronSummary(labelModels({ sce: cells.map(sce), sce_standin: cells.map(sce) }, { sce_standin: 'sce-standin' }));
    expect(s.trend.map((t) => t.model)).toEqual(['sce', 'sce-standin']);
    expect(s.shares.filter((x) => x.model === 'sce-standin').map((x) => x.antiHebbian.mean)).toEqual([0.125, 0.5, 0.875]);
  });
});
