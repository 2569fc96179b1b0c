// Per-neuron dynamics (src/report/aggregate/per-neuron.ts, figures/per-neuron-figures.ts): shares
// over seeds per γ, the anti-Hebbian trend, the heatmap's cell and neuron order, and the figures.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bumpOf, phaseReading, segmentPhaseLength } from '../src/report/aggregate/neuron-phases.ts';
import { checkListSchema } from '../src/report/checks/check-schema.ts';
import { evaluateChecks } from '../src/report/checks/checks.ts';
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

/** A γ grid (the shares' design): 3 γ, 5 cells. */
const cells = [cell(0, 0, [0.5, 0.2, -0.1, 0.3]), cell(0, 1, [0.5, 0.2, 0.1, 0.3]), cell(1e-3, 0, [0.5, -0.2, -0.1, 0.3]), cell(5e-3, 1, [-0.5, -0.2, -0.1, 0.3]), cell(5e-3, 0, [-0.5, -0.2, -0.1, -0.3])];

describe('per-neuron summary', () => {
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

describe('the phase study (η × init scale: phase lengths and the initial bump)', () => {
  /** A cell whose neurons flip `flips(lr, init)` times per segment of 10 and whose alignment reaches half its bump at `half(lr, init)`. */
  function phaseCell(model: string, lr: number, init: number, seed: number, flips: number, half: number): CellRecord {
    const segments = Array.from({ length: 10 }, (_, k) => ({ from: 100 * k, to: 100 * k + 100, samples: 20, neurons: 4, flips: k < 2 ? flips * 4 : 0, meanAbs: 0.3 }));
    const step = Array.from({ length: 20 }, (_, i) => 50 * (i + 1));
    const alignment = step.map((s) => (s < half ? 0 : s === half ? 0.25 : 0.5));
    const metrics = {
      model, gamma: 5e-4, seed, lr, status: 'ok',
      perNeuron: { layer: 'W2', steps: [], full: [], windowMean: [1, -1, 1, 1], hebbianFraction: 0.75, antiHebbianFraction: 0.25, phases: { every: 5, segments } },
      trajectory: { step, alignment: { W2: alignment } },
    } as unknown as CellMetrics;
    return { cell: `${model}-phases@lr${lr}-init${init}-s${seed}`, params: { lr, init_scale: init, seed }, metrics } as CellRecord;
  }
  // The paper's picture: faster flips and an earlier bump at larger η and larger init scale.
  const paperLike = (model: string) => [0.1, 0.3].flatMap((lr) => [0.5, 2].flatMap((init) => [0, 1].map((seed) => phaseCell(model, lr, init, seed, lr * init * 10 + seed, lr === 0.1 ? 300 : 100))));

  it('turns flip counts into phase lengths per period and finds the half-bump step', () => {
    expect(segmentPhaseLength({ from: 0, to: 100, samples: 20, neurons: 4, flips: 12, meanAbs: 0.3 })).toBe(25);
    expect(segmentPhaseLength({ from: 0, to: 100, samples: 1, neurons: 4, flips: 0, meanAbs: 0.3 })).toBeNull();
    expect(bumpOf([10, 20, 30, 40, 90], [0.1, 0.2, 0.5, 0.4, 0.9], 100)).toEqual({ bumpRise: 0.4, bumpHalfStep: 30 });
    expect(bumpOf([10, 20], [0.5, 0.2], 100)).toEqual({ bumpRise: 0, bumpHalfStep: null });
    const r = phaseReading(phaseCell('mlp', 0.1, 1, 0, 3, 300))!;
    expect([r.early, r.late, r.bumpHalfStep, r.bumpRise]).toEqual([25, 100, 300, 0.5]);
  });

  it('keeps phase cells out of the shares, groups them over seeds and measures the three statements per model', () => {
    const s = perNeuronSummary([...cells, ...paperLike('mlp')]);
    expect(s.shares.map((x) => x.gamma)).toEqual([0, 1e-3, 5e-3]);
    const g = s.phases.groups.find((x) => x.lr === 0.1 && x.initScale === 0.5)!;
    expect([g.seeds, g.every, g.readings.early.mean, g.readings.bumpHalfStep.mean]).toEqual([2, 5, (100 / 1.5 + 100 / 2.5) / 2, 300]);
    const t = Object.fromEntries(s.phases.trends.map((x) => [x.name, x]));
    expect(t['early-phase-vs-lr']!.meanRho).toBe(-1);
    expect(t['early-phase-vs-init']!.meanChange).toBeLessThan(0);
    expect(t['bump-time-vs-lr']!.lines.map((l) => [l.held, l.change])).toEqual([['init ×0.5', -200], ['init ×2', -200]]);
  });

  it('checks each statement (report only), fails the opposite, and draws both figures', async () => {
    const yaml = (await import('yaml')).parse(readFileSync(new URL('../pipeline.d/50-report.yaml', import.meta.url), 'utf8')) as { stages: { check: { params: { checks: { kind: string }[] } } } };
    const decls = checkListSchema.parse(yaml.stages.check.params.checks.filter((c) => c.kind === 'neuron-phase-trend'));
    expect(decls.map((d) => d.name)).toEqual(['per-neuron-phases-shorten-with-lr', 'per-neuron-phases-shorten-with-init-scale', 'alignment-bump-faster-with-lr']);
    const ok = evaluateChecks(decls, { perNeuron: perNeuronSummary(paperLike('mlp')) }).results;
    expect(ok.map((r) => [r.status, r.gate, r.figureName])).toEqual(Array(3).fill(['PASS', false, 'per-neuron-phases']));
    // The opposite: slower flips and a later bump at larger η.
    const opposite = [0.1, 0.3].flatMap((lr) => [0.5, 2].map((init) => phaseCell('sce', lr, init, 0, 1 / (lr * init), lr === 0.1 ? 100 : 300)));
    const bad = evaluateChecks(decls, { perNeuron: perNeuronSummary(opposite) }).results;
    expect(bad.map((r) => r.status)).toEqual(['FAIL', 'FAIL', 'FAIL']);
    expect(bad[2]!.why).toMatch(/step of half the initial bump against η \(init ×0\.5: 0\.1 → 100, 0\.3 → 300; init ×2: 0\.1 → 100, 0\.3 → 300\); mean change 200/);
    expect(evaluateChecks(decls, { perNeuron: perNeuronSummary(cells) }).results[0]!.why).toMatch(/phase study did not run/);
    const figs = perNeuronFigures(perNeuronSummary(paperLike('mlp')), 'per-neuron');
    expect(figs.map((f) => f.name)).toEqual(['per-neuron-phases', 'per-neuron-phases-bump']);
    for (const f of figs) expect((await renderSvg(f.spec)).startsWith('<svg')).toBe(true);
  });
});
