/**
 * The evaluators of Section 5's checks, on per-neuron.json (src/report/aggregate/per-neuron.ts):
 * the anti-Hebbian share of neurons against γ, and the phase study's statements against η and the
 * init scale (neuron-phases.ts). Reported, never gated by default. Pure.
 */
import type { CheckDecl } from './check-schema.ts';
import { combine, r3, skipped, type CheckItem } from './check-core.ts';
import type { PlacedOutcome } from './sce-checks.ts';
import type { PER_NEURON_KINDS } from './sce-check-schema.ts';
import { NEURON_PHASES_FIGURE, type PhaseTrendName } from '../aggregate/neuron-phases.ts';
import { ANTI_HEBBIAN_SHARE_FIGURE, PER_NEURON_SECTION, type PerNeuronSummary } from '../aggregate/per-neuron.ts';
import { axisLabel } from '../format.ts';

/** A declaration of a per-neuron kind. */
export type PerNeuronDecl = Extract<CheckDecl, { kind: (typeof PER_NEURON_KINDS)[number] }>;

/** Evaluates the per-neuron declaration on per-neuron.json (Section 5: the anti-Hebbian share grows with γ). */
export function evaluatePerNeuron(d: PerNeuronDecl, s: PerNeuronSummary | null | undefined): PlacedOutcome {
  if (d.kind === 'neuron-phase-trend') return evaluatePhaseTrend(d, s);
  const place = { figureName: ANTI_HEBBIAN_SHARE_FIGURE, section: PER_NEURON_SECTION };
  if (!s) return { ...skipped('no per-neuron.json (the per-neuron stage did not run)'), ...place };
  const t = d.tolerance;
  const models = d.params.models ?? [...new Set(s.shares.map((x) => x.model))];
  const items = models.map((model): CheckItem => {
    const sh = s.shares.filter((x) => x.model === model).sort((a, b) => a.gamma - b.gamma);
    const rho = s.trend.find((x) => x.model === model)?.rho ?? null;
    const measured = { shares: sh.map((x) => [axisLabel(x.gamma), r3(x.antiHebbian.mean), r3(x.antiHebbian.sd), x.seeds]), spearman: r3(rho) };
    if (sh.length < 2) return { label: model, status: 'SKIPPED', why: sh.length ? 'one γ: no trend to measure' : 'no cells with per-neuron data', measured };
    const rise = sh[sh.length - 1]!.antiHebbian.mean - sh[0]!.antiHebbian.mean;
    const text = `anti-Hebbian share ${r3(sh[0]!.antiHebbian.mean)} at γ = ${axisLabel(sh[0]!.gamma)} → ${r3(sh[sh.length - 1]!.antiHebbian.mean)} at γ = ${axisLabel(sh[sh.length - 1]!.gamma)}${rho !== null ? `, Spearman ρ ${r3(rho)}` : ''}`;
    const ok = rise > t.min_rise && (rho === null || sh.length < 3 || rho >= t.min_rho);
    return { label: model, status: ok ? 'PASS' : 'FAIL', why: `${text} (need a rise > ${t.min_rise}${sh.length >= 3 ? ` and ρ ≥ ${t.min_rho}` : ''})`, measured };
  });
  return { ...combine(items, 'the anti-Hebbian share of neurons grows with γ for every model'), ...place };
}

/** What each statement measures, for the check's text. */
const STATEMENT: Readonly<Record<PhaseTrendName, { what: string; along: string }>> = {
  'early-phase-vs-lr': { what: 'early phase length', along: 'η' },
  'early-phase-vs-init': { what: 'early phase length', along: 'init scale' },
  'bump-time-vs-lr': { what: 'step of half the initial bump', along: 'η' },
};

/** Section 5's phase statements: per model, the reading falls as its factor grows (mean over lines of the net change < 0, mean ρ ≤ max_rho). */
function evaluatePhaseTrend(d: Extract<PerNeuronDecl, { kind: 'neuron-phase-trend' }>, s: PerNeuronSummary | null | undefined): PlacedOutcome {
  const place = { figureName: NEURON_PHASES_FIGURE, section: PER_NEURON_SECTION };
  if (!s) return { ...skipped('no per-neuron.json (the per-neuron stage did not run)'), ...place };
  const { trend, models: only } = d.params;
  const st = STATEMENT[trend];
  const trends = s.phases.trends.filter((t) => t.name === trend && (!only || only.includes(t.model)));
  if (trends.length === 0) return { ...skipped('no cells sampled per-neuron phases (the phase study did not run)'), ...place };
  const items = trends.map((t): CheckItem => {
    const measured = { lines: t.lines.map((l) => ({ held: l.held, points: l.points.map(([x, y]) => [axisLabel(x), r3(y)]), rho: r3(l.rho), change: r3(l.change) })), meanRho: r3(t.meanRho), meanChange: r3(t.meanChange) };
    if (t.meanChange === null) return { label: t.model, status: 'SKIPPED', why: `no line with 2 values of ${st.along}`, measured };
    const lines = t.lines.filter((l) => l.change !== null).map((l) => `${l.held}: ${l.points.map(([x, y]) => `${axisLabel(x)} → ${r3(y)}`).join(', ')}`).join('; ');
    const ok = t.meanChange < 0 && (t.meanRho === null || t.meanRho <= d.tolerance.max_rho);
    return { label: t.model, status: ok ? 'PASS' : 'FAIL', why: `${st.what} against ${st.along} (${lines}); mean change ${r3(t.meanChange)}, mean Spearman ρ ${r3(t.meanRho) ?? 'n/a'} (need a fall and ρ ≤ ${d.tolerance.max_rho})`, measured };
  });
  return { ...combine(items, `the ${st.what} falls as ${st.along} grows, for every model`), ...place };
}
