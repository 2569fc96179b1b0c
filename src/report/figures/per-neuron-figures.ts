/**
 * The per-neuron figures (the paper's Section 5) as Vega-Lite specs: per model, one cell's
 * neuron × step heatmap of the full update's alignment, the anti-Hebbian share of neurons against
 * γ, and the phase study (phase lengths and the initial bump against η and the init scale). Pure; rendered by the per-neuron stage through the figure protocol.
 */
import { ANTI_HEBBIAN_SHARE_FIGURE, type PerNeuronSummary } from '../aggregate/per-neuron.ts';
import { NEURON_PHASES_FIGURE, PERIOD_FRACTION, type NeuronPhasesSummary } from '../aggregate/neuron-phases.ts';
import { BASE_CONFIG, type VlSpec } from './figure-specs.ts';
import { fmtGamma } from '../format.ts';
import type { FigureToDraw } from './write-figures.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The figures, all in section `section`; none when no cell recorded per-neuron data. */
export function perNeuronFigures(s: PerNeuronSummary, section: string): FigureToDraw[] {
  const out: FigureToDraw[] = [];
  for (const h of s.heatmaps) {
    const values = h.full.flatMap((row, t) => row.map((v, rank) => ({ step: h.steps[t]!, neuron: rank, cos: Number.isFinite(v) ? v : null })));
    const spec: VlSpec = {
      $schema: SCHEMA,
      title: { text: `Per-neuron alignment of ${h.layer}'s full update, ${h.model}, γ = ${fmtGamma(h.gamma)}`, subtitle: `cos(g_j − γW_j, H_j) per neuron j (rows, sorted by their mean over the convergence window) at each trajectory step` },
      data: { values },
      mark: 'rect',
      width: 420,
      height: 240,
      encoding: {
        x: { field: 'step', type: 'ordinal', title: 'step', axis: { labelOverlap: true } },
        y: { field: 'neuron', type: 'ordinal', title: 'neuron (sorted)', axis: null },
        color: { field: 'cos', type: 'quantitative', title: 'alignment', scale: { scheme: 'redblue', domain: [-1, 1], domainMid: 0 } },
      },
      config: BASE_CONFIG,
    };
    out.push({ name: `per-neuron-${h.model}-heatmap`, section, caption: `Section 5: each neuron's full-update alignment over training for ${h.model} (cell ${h.cell}); blue Hebbian, red anti-Hebbian.`, spec });
  }
  if (s.shares.length > 0) {
    const values = s.shares.map((x) => ({ model: x.model, gamma: fmtGamma(x.gamma), g: x.gamma, share: x.antiHebbian.mean, lo: x.antiHebbian.mean - x.antiHebbian.sd, hi: x.antiHebbian.mean + x.antiHebbian.sd }));
    const order = [...new Set(s.shares.map((x) => x.gamma))].sort((a, b) => a - b).map(fmtGamma);
    const trend = s.trend.map((t) => `${t.model}: ${t.grows === null ? 'not evaluated (fewer than 3 γ)' : `Spearman ρ = ${t.rho!.toFixed(2)}, ${t.grows ? 'grows with γ as the paper says' : 'does not grow with γ'}`}`).join('; ');
    const spec: VlSpec = {
      $schema: SCHEMA,
      title: { text: 'Anti-Hebbian share of neurons vs weight decay', subtitle: 'neurons whose full-update alignment over the convergence window is negative; mean ± SD over seeds' },
      data: { values },
      width: 360,
      height: 220,
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x: { field: 'gamma', type: 'ordinal', sort: order, title: 'γ' }, y: { field: 'share', type: 'quantitative', title: 'anti-Hebbian share', scale: { domain: [0, 1] } }, color: { field: 'model', type: 'nominal' } } },
        { mark: 'errorbar', encoding: { x: { field: 'gamma', type: 'ordinal', sort: order }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'model', type: 'nominal' } } },
      ],
      config: BASE_CONFIG,
    };
    out.push({ name: ANTI_HEBBIAN_SHARE_FIGURE, section, caption: `Section 5: the share of anti-Hebbian neurons against γ (the paper: it grows with weight decay). Reported, not gated: ${trend}.`, spec });
  }
  return [...out, ...phaseFigures(s.phases, section)];
}

const pct = Math.round(PERIOD_FRACTION * 100);

/** The phase study: phase lengths (first and last fifth of training) and the bump's half-time against η, one line per init scale, one panel per model. */
function phaseFigures(p: NeuronPhasesSummary, section: string): FigureToDraw[] {
  if (p.groups.length === 0) return [];
  const every = [...new Set(p.groups.map((g) => g.every))].join(', ');
  const phase = p.groups.flatMap((g) => (['early', 'late'] as const).map((k) => ({
    model: g.model, lr: g.lr, init: `×${g.initScale}`, period: k === 'early' ? `first ${pct}%` : `last ${pct}%`, steps: g.readings[k].mean,
  }))).filter((v) => v.steps !== null);
  const bump = p.groups.map((g) => ({ model: g.model, lr: g.lr, init: `×${g.initScale}`, step: g.readings.bumpHalfStep.mean })).filter((v) => v.step !== null);
  const panel = (values: unknown[], y: Record<string, unknown>, extra: Record<string, unknown>): VlSpec => ({
    $schema: SCHEMA,
    data: { values },
    facet: { column: { field: 'model', type: 'nominal', title: null } },
    resolve: { scale: { x: 'independent', y: 'independent' } }, // the models' η ranges differ by a decade
    spec: {
      width: 240, height: 200, mark: { type: 'line', point: true },
      encoding: { x: { field: 'lr', type: 'quantitative', scale: { type: 'log' }, title: 'η' }, y, color: { field: 'init', type: 'nominal', title: 'init scale' }, ...extra },
    },
    config: BASE_CONFIG,
  });
  const trendText = (name: string) => p.trends.filter((t) => t.name === name).map((t) => `${t.model}: mean change ${t.meanChange === null ? 'n/a' : t.meanChange.toFixed(1)} steps, mean ρ ${t.meanRho === null ? 'n/a' : t.meanRho.toFixed(2)}`).join('; ');
  const out: FigureToDraw[] = [];
  if (phase.length) {
    out.push({
      name: NEURON_PHASES_FIGURE, section,
      caption: `Section 5: how long a neuron keeps its Hebbian or anti-Hebbian role (mean phase length, steps; signs sampled every ${every} steps, so phases shorter than about twice that are not resolved) in the first and last ${pct}% of training, against η per init scale. The paper: phases lengthen as η and the init scale decrease. Early phase vs η — ${trendText('early-phase-vs-lr')}; vs init scale — ${trendText('early-phase-vs-init')}.`,
      spec: { ...panel(phase, { field: 'steps', type: 'quantitative', title: 'mean phase length (steps)' }, { strokeDash: { field: 'period', type: 'nominal', title: 'period' } }), title: { text: 'Per-neuron phase length vs η and init scale', subtitle: 'mean over seeds; sign of cos(g_j − γW_j, H_j) per neuron' } },
    });
  }
  if (bump.length) {
    out.push({
      name: `${NEURON_PHASES_FIGURE}-bump`, section,
      caption: `Section 5: the initial alignment bump — the step at which the reported layer's alignment first reaches half of its rise to the first half's peak, against η per init scale. The paper: a higher learning rate makes it happen faster. ${trendText('bump-time-vs-lr')}.`,
      spec: { ...panel(bump, { field: 'step', type: 'quantitative', title: 'step of half the bump', scale: { type: 'log' } }, {}), title: { text: 'Initial alignment bump: time to half its rise', subtitle: 'mean over seeds' } },
    });
  }
  return out;
}
