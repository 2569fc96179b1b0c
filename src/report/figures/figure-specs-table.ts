/**
 * Vega-Lite specs of the Table 1 chart, the alignment-over-training curves and the η×T sweep.
 * Pure, data inlined.
 */
import { BASE_CONFIG, type VlSpec } from './figure-specs.ts';
import type { LearningSweep } from '../aggregate/learning-sweep.ts';
import { meanAll, sd } from '../aggregate/stats.ts';
import type { Table1 } from '../aggregate/table1.ts';
import { fmtGamma } from '../format.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Table 1 as grouped bars (γ within rule), SD error bars, the paper's values as black ticks; one panel per model × variant. */
export function table1BarsSpec(t: Table1): VlSpec {
  const gammaOrder = [...new Set([...t.entries].sort((a, b) => a.gamma - b.gamma).map((e) => fmtGamma(e.gamma)))];
  const vals = t.entries.map((e) => ({
    variant: e.variant, model: e.model, rule: e.rule, gamma: fmtGamma(e.gamma),
    mean: e.mean, lo: e.mean !== null && e.sd !== null ? e.mean - e.sd : null, hi: e.mean !== null && e.sd !== null ? e.mean + e.sd : null,
    paper: e.paper?.mean ?? null, state: e.state, display: e.display,
    mark: e.state === 'collapsed' ? '–' : e.state === 'missing' ? '?' : e.state === 'diverged' ? '×' : '',
  }));
  const x = { field: 'rule', type: 'nominal', title: 'learning rule', axis: { labelAngle: 0 } };
  const xOffset = { field: 'gamma', type: 'nominal', sort: gammaOrder };
  return {
    $schema: SCHEMA,
    title: { text: 'Table 1: Hebbian alignment at convergence', subtitle: 'bars: ours (mean ± SD over seeds); black ticks: the paper; – collapsed, ? missing, × diverged' },
    data: { values: vals },
    facet: { row: { field: 'variant', title: 'variant' }, column: { field: 'model', title: 'model' } },
    // No explicit width here: with a facet, a fixed width silently disables xOffset (vega-lite 6.4);
    // the band step sizes the panel instead.
    spec: {
      height: 220,
      layer: [
        { mark: { type: 'rule', color: '#888' }, data: { values: [{ y: 0 }] }, encoding: { y: { field: 'y', type: 'quantitative' } } },
        {
          transform: [{ filter: 'datum.mean !== null' }],
          mark: { type: 'bar' },
          encoding: {
            x, xOffset,
            y: { field: 'mean', type: 'quantitative', title: 'alignment', scale: { domain: [-0.4, 1] } },
            color: { field: 'gamma', type: 'ordinal', sort: gammaOrder, title: 'γ', scale: { scheme: 'blues' } },
            tooltip: [{ field: 'rule' }, { field: 'gamma' }, { field: 'display' }, { field: 'paper' }],
          },
        },
        {
          transform: [{ filter: 'datum.lo !== null' }],
          mark: { type: 'rule', color: '#333' },
          encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
        },
        {
          transform: [{ filter: 'datum.paper !== null' }],
          mark: { type: 'tick', color: 'black', thickness: 2, size: 12 },
          encoding: { x, xOffset, y: { field: 'paper', type: 'quantitative' } },
        },
        {
          transform: [{ filter: "datum.mark !== ''" }, { calculate: '0.04', as: 'y0' }],
          mark: { type: 'text', fontSize: 13, fontWeight: 'bold', baseline: 'bottom' },
          encoding: { x, xOffset, y: { field: 'y0', type: 'quantitative' }, text: { field: 'mark' } },
        },
      ],
    },
    config: { ...BASE_CONFIG, view: { ...BASE_CONFIG.view, discreteWidth: { step: 18 } } },
  };
}

/** One series of the training-curve figure: per seed, the sampled alignment of the reported layer. */
export interface CurveSeries {
  readonly label: string;
  readonly step: readonly number[];
  readonly perSeed: readonly (readonly number[])[];
}

/** Rolling mean over `w` samples (trailing window; shorter at the start). */
export function rolling(xs: readonly number[], w: number): number[] {
  const out: number[] = [];
  let s = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i]!;
    if (i >= w) s -= xs[i - w]!;
    out.push(s / Math.min(i + 1, w));
  }
  return out;
}

/** Alignment over training: mean over seeds with a ±SD band, each seed first smoothed over `windowSamples` samples. */
export function trainingCurvesSpec(series: readonly CurveSeries[], windowIterations: number, windowSamples: number): VlSpec {
  const vals: Record<string, unknown>[] = [];
  for (const s of series) {
    const smooth = s.perSeed.map((xs) => rolling(xs, Math.max(1, windowSamples)));
    s.step.forEach((step, i) => {
      const at = smooth.map((xs) => xs[i]).filter((x): x is number => x !== undefined && Number.isFinite(x));
      if (!at.length) return;
      const m = meanAll(at);
      const d = sd(at) ?? 0;
      vals.push({ label: s.label, step, mean: m, lo: m - d, hi: m + d });
    });
  }
  const color = { field: 'label', type: 'nominal', title: 'cell', sort: series.map((s) => s.label) };
  return {
    $schema: SCHEMA,
    title: { text: 'Hebbian alignment over training', subtitle: `mean ± SD over seeds, each seed smoothed over a ${windowIterations}-iteration window` },
    width: 460,
    height: 260,
    data: { values: vals },
    layer: [
      { mark: { type: 'area', opacity: 0.25 }, encoding: { x: { field: 'step', type: 'quantitative', title: 'iteration' }, y: { field: 'lo', type: 'quantitative', title: 'alignment' }, y2: { field: 'hi' }, color } },
      { mark: { type: 'line', strokeWidth: 1.8 }, encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'mean', type: 'quantitative' }, color } },
    ],
    config: BASE_CONFIG,
  };
}

/** One rule's alignment (its reported layer) vs the amount of learning η × T, one line per γ (ours, docs/definitions.md §Beyond the paper). */
export function learningAmountSpec(s: LearningSweep, rule = 'sgd'): VlSpec {
  const vals = s.points
    .filter((p) => p.rule === rule && p.mean !== null)
    .map((p) => ({ amount: p.amount, mean: p.mean, lo: p.mean! - (p.sd ?? 0), hi: p.mean! + (p.sd ?? 0), gamma: fmtGamma(p.gamma), lr: p.lr, steps: p.steps }));
  const color = { field: 'gamma', type: 'nominal', title: 'γ' };
  const x = { field: 'amount', type: 'quantitative', title: 'amount of learning η × T (learning rate × steps)', scale: { type: 'log' } };
  return {
    $schema: SCHEMA,
    title: { text: `${rule.toUpperCase()} alignment vs the amount of learning`, subtitle: `mean ± SD over seeds of the reported layer (${rule === 'dfa' ? 'W1' : 'W2'}); the trend depends on η × T` },
    width: 420,
    height: 260,
    data: { values: vals },
    layer: [
      { mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, data: { values: [{ y: 0 }] }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      { mark: { type: 'rule' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
      {
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'mean', type: 'quantitative', title: 'alignment at convergence' }, color, tooltip: [{ field: 'lr' }, { field: 'steps' }, { field: 'mean', format: '.3f' }] },
      },
    ],
    config: BASE_CONFIG,
  };
}
