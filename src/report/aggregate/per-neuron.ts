/**
 * Per-neuron dynamics (the paper's Section 5): from cells that recorded `perNeuron`
 * (src/ml/per-neuron.ts), the Hebbian and anti-Hebbian shares of the reported matrix's neurons per
 * γ (mean ± SD over seeds), whether the anti-Hebbian share grows with γ (the paper's statement;
 * reported, never gated), and one cell's neuron × step alignment for the heatmap. Pure.
 */
import type { CellRecord } from './cells.ts';
import { spearman } from './stats.ts';
import { neuronPhasesSummary, type NeuronPhasesSummary } from './neuron-phases.ts';

/** The report section of the per-neuron figures. */
export const PER_NEURON_SECTION = 'per-neuron';
/** The name of the figure of the anti-Hebbian share against γ (the per-neuron check is shown beside it). */
export const ANTI_HEBBIAN_SHARE_FIGURE = 'per-neuron-anti-hebbian-share';

/** One γ of one model: the shares over seeds. */
export interface NeuronShares {
  readonly model: string;
  readonly gamma: number;
  readonly seeds: number;
  readonly hebbian: { readonly mean: number; readonly sd: number };
  readonly antiHebbian: { readonly mean: number; readonly sd: number };
}

/** per-neuron.json. */
export interface PerNeuronSummary {
  readonly shares: readonly NeuronShares[];
  /** Per model: Spearman ρ of the anti-Hebbian share against γ, and the paper's direction (ρ > 0) held or not; null with fewer than 3 γ. */
  readonly trend: readonly { readonly model: string; readonly rho: number | null; readonly grows: boolean | null; readonly gammas: number }[];
  /** The heatmap's cell per model: the largest γ, lowest seed, neurons sorted by their window mean. */
  readonly heatmaps: readonly { readonly model: string; readonly cell: string; readonly gamma: number; readonly layer: string; readonly steps: readonly number[]; readonly neurons: readonly number[]; readonly full: readonly (readonly number[])[] }[];
  /** The phase study (η × init scale at one γ: cells that sampled phases), neuron-phases.ts. */
  readonly phases: NeuronPhasesSummary;
}

const meanSd = (xs: readonly number[]): { mean: number; sd: number } => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: m, sd: xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0 };
};

/**
 * The cells of every dep, with the model of a dep named in `labels` renamed (two families of the
 * same model, e.g. the SCE MLP on CIFAR-10 and on the Fashion-MNIST stand-in, stay apart).
 */
export function labelModels(byDep: Readonly<Record<string, readonly CellRecord[]>>, labels: Readonly<Record<string, string>>): CellRecord[] {
  return Object.entries(byDep).flatMap(([dep, cells]) => {
    const label = labels[dep];
    return label === undefined ? [...cells] : cells.map((c) => (c.metrics ? { ...c, metrics: { ...c.metrics, model: label } } : c));
  });
}

/**
 * The summary of every cell that has per-neuron data (others are ignored): the shares and heatmaps
 * from the γ grids, the phase study from the cells that sampled phases (a grid over η and init
 * scale at one γ, kept out of the shares so they stay a function of γ alone).
 */
export function perNeuronSummary(cells: readonly CellRecord[]): PerNeuronSummary {
  const usable = cells.filter((c) => c.metrics?.perNeuron && !c.metrics.perNeuron.phases && c.metrics.status !== 'diverged');
  const groups = new Map<string, CellRecord[]>();
  for (const c of usable) {
    const k = `${c.metrics!.model}|${c.metrics!.gamma}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const shares: NeuronShares[] = [...groups.values()].map((g) => ({
    model: g[0]!.metrics!.model,
    gamma: g[0]!.metrics!.gamma,
    seeds: g.length,
    hebbian: meanSd(g.map((c) => c.metrics!.perNeuron!.hebbianFraction)),
    antiHebbian: meanSd(g.map((c) => c.metrics!.perNeuron!.antiHebbianFraction)),
  })).sort((a, b) => a.model.localeCompare(b.model) || a.gamma - b.gamma);
  const models = [...new Set(shares.map((s) => s.model))];
  const trend = models.map((model) => {
    const s = shares.filter((x) => x.model === model);
    const rho = s.length >= 3 ? spearman(s.map((x) => x.gamma), s.map((x) => x.antiHebbian.mean)) : null;
    return { model, rho, grows: rho === null || !Number.isFinite(rho) ? null : rho > 0, gammas: s.length };
  });
  const heatmaps = models.flatMap((model) => {
    const mine = usable.filter((c) => c.metrics!.model === model);
    if (mine.length === 0) return [];
    const pick = mine.reduce((a, b) => (b.metrics!.gamma > a.metrics!.gamma || (b.metrics!.gamma === a.metrics!.gamma && b.metrics!.seed < a.metrics!.seed) ? b : a));
    const pn = pick.metrics!.perNeuron!;
    const order = pn.windowMean.map((v, j) => [v, j] as const).sort((a, b) => (Number.isFinite(b[0]) ? b[0] : -2) - (Number.isFinite(a[0]) ? a[0] : -2)).map(([, j]) => j);
    return [{ model, cell: pick.cell, gamma: pick.metrics!.gamma, layer: pn.layer, steps: pn.steps, neurons: order, full: pn.full.map((row) => order.map((j) => row[j]!)) }];
  });
  return { shares, trend, heatmaps, phases: neuronPhasesSummary(cells) };
}
