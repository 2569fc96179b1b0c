/**
 * The evaluators of the classification checks (the paper's Figs. 2, 3, 4, 7, 8, 9, 11). The SCE kinds read one sce-summary.json: the points, curves and
 * snapshots the `sce-figures` stage plotted (src/report/figures/sce-figures.ts), never the cells
 * again, so a check and its figure show the same numbers.
 * Same policy as every check: a failing measurement FAILs, missing data SKIPs, else PASS; on
 * synthetic data nothing is evaluated. Pure.
 */
import type { CheckDecl } from './check-schema.ts';
import { combine, r3, skipped, type CheckItem, type Outcome } from './check-core.ts';
import type { SCE_KINDS } from './sce-check-schema.ts';
import type { SceSummary, SceSummaryGroup } from '../figures/sce-figures.ts';
import type { ScePoint } from '../aggregate/sce.ts';
import { meanAll, spearman } from '../aggregate/stats.ts';
import { axisLabel } from '../format.ts';

/** A declaration of an SCE kind. */
export type SceDecl = Extract<CheckDecl, { kind: (typeof SCE_KINDS)[number] }>;

/** An outcome and where the report shows it: the figure drawing the data and its section. */
export type PlacedOutcome = Outcome & { readonly figureName: string | null; readonly section: string | null };

/** What each group's x and series are, for labels. */
const AXES: Readonly<Record<string, { x: string; series: string }>> = {
  fig2: { x: 'γ', series: '' }, fig3_act: { x: 'γ', series: 'activation' }, fig3_arch: { x: 'γ', series: 'hidden' },
  fig4: { x: 'η', series: 'rule' }, fig7: { x: 'γ', series: 'init scale' }, fig8: { x: 'γ', series: 'batch' },
  fig9: { x: 'γ', series: 'η' }, fig11_l1: { x: 'λ₁', series: '' }, fig11_l2: { x: 'γ', series: '' }, fig11_bn: { x: 'γ', series: '' },
};

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
/** Seeds of a point that neither diverged nor collapsed. */
const healthy = (p: ScePoint): number => p.n - p.nDiverged - p.nCollapsed;
/** A point a trend or sign can use: an alignment, and not every seed collapsed. */
const usable = (p: ScePoint): boolean => p.alignment !== null && healthy(p) > 0;
/** Why a point is left out (null: it is used). */
function leftOut(p: ScePoint, x: string): string | null {
  if (p.alignment === null) return `${x} = ${axisLabel(p.x)}: ${p.nDiverged}/${p.n} diverged`;
  if (healthy(p) <= 0) return `${x} = ${axisLabel(p.x)}: ${p.nCollapsed}/${p.n} collapsed`;
  return null;
}
const pointMeasured = (p: ScePoint) => ({ mean: r3(p.alignment), sd: r3(p.alignmentSd), n: p.n, diverged: p.nDiverged, collapsed: p.nCollapsed });

/** The group an SCE check reads, or why it cannot (no summary, synthetic data, no cells). */
function groupOf(summary: SceSummary | null, group: string): SceSummaryGroup | string {
  if (!summary) return 'no SCE summary (the SCE stages did not run in this profile, or their data could not be fetched)';
  if (summary.synthetic) return 'synthetic data: code path only, not evidence';
  const g = summary.groups[group];
  if (!g || g.cells === 0) return `no cells in group ${group}`;
  return g;
}

/** Unreadable cells turn a would-be PASS into SKIPPED (a check never passes on data it has not seen). */
function withUnreadable(o: Outcome, g: SceSummaryGroup): Outcome {
  if (o.status !== 'PASS' || g.unreadable.length === 0) return o;
  return { ...o, status: 'SKIPPED', why: `${o.why}, but ${g.unreadable.length} cells unreadable: ${g.unreadable.join('; ')}` };
}

/** Evaluates an SCE declaration on one summary. */
export function evaluateSce(d: SceDecl, summary: SceSummary | null): PlacedOutcome {
  const g = groupOf(summary, d.params.group);
  const place = { figureName: typeof g === 'string' ? null : g.figure, section: summary?.section ?? null };
  if (typeof g === 'string') return { ...skipped(g), ...place };
  const o = ((): Outcome => {
    switch (d.kind) {
      case 'sce-gamma-contrast': return gammaContrast(d, g, summary!);
      case 'sce-trend': return trend(d, g);
      case 'sce-sign': return sign(d, g);
      case 'sce-near-zero': return nearZero(d, g);
      case 'sce-init-scale': return initScale(d, summary!);
      case 'sce-best-near-zero': return bestNearZero(d, g);
    }
  })();
  return { ...withUnreadable(o, g), ...place };
}

function gammaContrast(d: Extract<SceDecl, { kind: 'sce-gamma-contrast' }>, g: SceSummaryGroup, s: SceSummary): Outcome {
  const { params: p, tolerance: t } = d;
  const item = (gamma: number, paper: number | undefined, high: boolean): CheckItem => {
    const label = `γ = ${axisLabel(gamma)}`;
    const pt = g.points.find((x) => close(x.x, gamma));
    const snap = s.snapshots.find((x) => close(x.gamma, gamma));
    if (!pt) return { label, status: 'SKIPPED', why: 'no cells at this γ', measured: { paper: paper ?? null } };
    const measured = { ...pointMeasured(pt), paper: paper ?? null, snapshotCosine: r3(snap?.cosine), snapshotSeed: snap?.seed ?? null };
    if (pt.alignment === null) return { label, status: 'FAIL', why: `every seed diverged (${pt.nDiverged}/${pt.n})`, measured };
    const vs = `${r3(pt.alignment)}${paper !== undefined ? ` (paper ${paper})` : ''}, last-step cosine ${r3(snap?.cosine) ?? 'n/a'}`;
    const ok = high ? pt.alignment >= t.min_high : Math.abs(pt.alignment) <= t.max_abs_low;
    const need = high ? `≥ ${t.min_high}` : `|·| ≤ ${t.max_abs_low}`;
    return { label, status: ok ? 'PASS' : 'FAIL', why: `alignment ${vs}; need ${need}`, measured };
  };
  return combine(
    [item(p.high_gamma, p.paper_high, true), item(p.low_gamma, p.paper_low, false)],
    `high at γ = ${axisLabel(p.high_gamma)} (≥ ${t.min_high}), near zero at γ = ${axisLabel(p.low_gamma)} (|·| ≤ ${t.max_abs_low})`,
  );
}

/** One line of a trend: its points in order along the line, with the value that orders them. */
interface Line { readonly label: string; readonly pts: readonly { at: number; p: ScePoint }[] }

function linesOf(d: Extract<SceDecl, { kind: 'sce-trend' }>, g: SceSummaryGroup): Line[] | string {
  const ax = AXES[d.params.group]!;
  const pts = g.points.filter((p) => !d.params.series || d.params.series.includes(p.series));
  if (d.params.along === 'x') {
    const series = [...new Set(pts.map((p) => p.series))];
    return series.map((s) => ({ label: ax.series ? `${ax.series} ${s}` : s, pts: pts.filter((p) => p.series === s).map((p) => ({ at: p.x, p })).sort((a, b) => a.at - b.at) }));
  }
  const value = (p: ScePoint): number => p.seriesValue ?? Number(p.series);
  if (pts.some((p) => !Number.isFinite(value(p)))) return `the series of ${d.params.group} have no numeric value to order them by`;
  const xs = [...new Set(pts.map((p) => p.x))].sort((a, b) => a - b);
  return xs.map((x) => ({ label: `at ${ax.x} = ${axisLabel(x)}`, pts: pts.filter((p) => p.x === x).map((p) => ({ at: value(p), p })).sort((a, b) => a.at - b.at) }));
}

function trend(d: Extract<SceDecl, { kind: 'sce-trend' }>, g: SceSummaryGroup): Outcome {
  const t = d.tolerance;
  const lines = linesOf(d, g);
  if (typeof lines === 'string') return skipped(lines);
  const along = d.params.along === 'x' ? AXES[d.params.group]!.x : AXES[d.params.group]!.series;
  const measuredLines = lines.map((l) => {
    const ok = l.pts.filter((q) => usable(q.p));
    const out = l.pts.map((q) => leftOut(q.p, along === '' ? 'x' : along)).filter((x): x is string => x !== null);
    const first = ok[0];
    const last = ok[ok.length - 1];
    const rise = first && last && first !== last ? last.p.alignment! - first.p.alignment! : null;
    const needed = first && last ? Math.max(t.rise_sd_multiple * Math.max(first.p.alignmentSd ?? 0, last.p.alignmentSd ?? 0), t.min_rise) : null;
    const rho = ok.length >= 3 ? spearman(ok.map((q) => q.at), ok.map((q) => q.p.alignment!)) : null;
    return { l, ok, out, rise, needed, rho, means: l.pts.map((q) => [axisLabel(q.at), r3(q.p.alignment), r3(q.p.alignmentSd)] as const) };
  });
  const note = (out: string[]) => (out.length ? ` [left out: ${out.join('; ')}]` : '');
  if (d.params.lines === 'mean') {
    const measurable = measuredLines.filter((m) => m.rise !== null);
    const withRho = measurable.filter((m) => m.rho !== null);
    const meanRise = measurable.length ? meanAll(measurable.map((m) => m.rise!)) : null;
    const meanRho = withRho.length ? meanAll(withRho.map((m) => m.rho!)) : null;
    const out = measuredLines.flatMap((m) => m.out);
    const measured = { meanRise: r3(meanRise), meanSpearman: r3(meanRho), lines: measuredLines.map((m) => ({ line: m.l.label, rise: r3(m.rise), rho: r3(m.rho), means: m.means })) };
    const label = `mean over ${measurable.length} lines along ${along}`;
    let item: CheckItem;
    if (meanRise === null) item = { label, status: measuredLines.some((m) => m.l.pts.length >= 2) ? 'FAIL' : 'SKIPPED', why: `no line with 2 usable points${note(out)}`, measured };
    else if (!(meanRise > t.min_rise) || (meanRho !== null && meanRho < t.min_rho)) item = { label, status: 'FAIL', why: `mean net rise ${r3(meanRise)} (need > ${t.min_rise}), mean Spearman ρ ${r3(meanRho) ?? 'n/a (lines of 2 points)'} (need ≥ ${t.min_rho})${note(out)}`, measured };
    else item = { label, status: 'PASS', why: `mean net rise ${r3(meanRise)} > ${t.min_rise}, mean Spearman ρ ${r3(meanRho) ?? 'n/a (lines of 2 points)'}${note(out)}`, measured };
    return combine([item], item.why);
  }
  const items = measuredLines.map((m): CheckItem => {
    const measured = { means: m.means, rise: r3(m.rise), riseNeeded: r3(m.needed), spearman: r3(m.rho), leftOut: m.out };
    if (m.l.pts.length < 2) return { label: m.l.label, status: 'SKIPPED', why: `${m.l.pts.length} point(s): no trend to measure`, measured };
    if (m.rise === null) return { label: m.l.label, status: 'FAIL', why: `fewer than 2 usable points${note(m.out)}`, measured };
    const rhoText = m.rho === null ? '' : `, Spearman ρ ${r3(m.rho)}`;
    if (!(m.rise > m.needed!)) return { label: m.l.label, status: 'FAIL', why: `net rise ${r3(m.rise)} is not above ${r3(m.needed)}${rhoText}${note(m.out)}`, measured };
    if (m.rho !== null && m.rho < t.min_rho) return { label: m.l.label, status: 'FAIL', why: `Spearman ρ ${r3(m.rho)} < ${t.min_rho} (net rise ${r3(m.rise)})${note(m.out)}`, measured };
    return { label: m.l.label, status: 'PASS', why: `net rise ${r3(m.rise)} > ${r3(m.needed)}${rhoText}${note(m.out)}`, measured };
  });
  return combine(items, `every line rises along ${along} by more than max(${t.rise_sd_multiple}×SD, ${t.min_rise})${measuredLines.some((m) => m.rho !== null) ? `, Spearman ρ ≥ ${t.min_rho}` : ''}`);
}

function sign(d: Extract<SceDecl, { kind: 'sce-sign' }>, g: SceSummaryGroup): Outcome {
  const { params: p, tolerance: t } = d;
  const ax = AXES[p.group]!.x;
  const ok = g.points.filter(usable).sort((a, b) => a.x - b.x);
  const out = g.points.map((q) => leftOut(q, ax)).filter((x): x is string => x !== null);
  const note = out.length ? ` [left out: ${out.join('; ')}]` : '';
  const has = (q: ScePoint): boolean => (p.sign === 'positive' ? q.alignment! >= t.margin : q.alignment! <= -t.margin);
  const need = p.sign === 'positive' ? `≥ ${t.margin}` : `≤ ${-t.margin}`;
  const measured = { points: ok.map((q) => [axisLabel(q.x), r3(q.alignment), r3(q.alignmentSd), q.n]), leftOut: out };
  if (!ok.length) return combine([{ label: `${p.group} ${p.sign}`, status: 'FAIL', why: `no usable point${note}`, measured }], '');
  const chosen = p.at === 'largest-x' ? [ok[ok.length - 1]!] : ok;
  const good = chosen.filter(has);
  const frac = good.length / chosen.length;
  const label = p.at === 'largest-x' ? `at the largest ${ax} = ${axisLabel(chosen[0]!.x)}` : `${good.length}/${chosen.length} of the ${ax} values`;
  const vals = chosen.map((q) => `${axisLabel(q.x)}: ${r3(q.alignment)}`).join(', ');
  // The effect against the smallest x (no regulariser): signed in the claimed direction.
  const base = ok[0]!;
  const effect = p.at === 'largest-x' && t.min_rise !== undefined && chosen[0] !== base ? (p.sign === 'positive' ? 1 : -1) * (chosen[0]!.alignment! - base.alignment!) : null;
  const effectOk = t.min_rise === undefined || p.at !== 'largest-x' || (effect !== null && effect >= t.min_rise);
  const effectText = t.min_rise !== undefined && p.at === 'largest-x' ? `; ${effect === null ? 'no smaller value to compare with' : `${p.sign === 'positive' ? 'rise' : 'fall'} from ${ax} = ${axisLabel(base.x)} (${r3(base.alignment)}): ${r3(effect)}`} (need ≥ ${t.min_rise})` : '';
  const pass = (p.at === 'largest-x' ? frac === 1 : frac + 1e-12 >= t.min_fraction) && effectOk;
  const item: CheckItem = {
    label, status: pass ? 'PASS' : 'FAIL',
    why: `alignment ${vals} (need ${need}${p.at === 'all' ? ` at ≥ ${t.min_fraction * 100}% of them` : ''})${effectText}${note}`, measured: { ...measured, effect: r3(effect) },
  };
  return combine([item], `${p.sign} (${need}) ${label}${effectText}`);
}

function nearZero(d: Extract<SceDecl, { kind: 'sce-near-zero' }>, g: SceSummaryGroup): Outcome {
  const { params: p, tolerance: t } = d;
  const ax = AXES[p.group]!.x;
  const items = g.points.map((q): CheckItem => {
    const label = `${q.series} ${ax} = ${axisLabel(q.x)}`;
    const v = p.value === 'rule' ? q.rule : q.alignment;
    const sdv = p.value === 'rule' ? q.ruleSd : q.alignmentSd;
    const measured = { value: r3(v), sd: r3(sdv), n: q.n, diverged: q.nDiverged, collapsed: q.nCollapsed };
    if (v === null) return q.nDiverged === q.n ? { label, status: 'FAIL', why: `every seed diverged (${q.n})`, measured } : { label, status: 'SKIPPED', why: `no ${p.value} value recorded`, measured };
    const ok = Math.abs(v) <= t.max_abs;
    return { label, status: ok ? 'PASS' : 'FAIL', why: `${p.value === 'rule' ? 'cos(ΔW, g)' : 'cos(g, H)'} = ${r3(v)} (need |·| ≤ ${t.max_abs})`, measured };
  });
  return combine(items, `every ${p.value === 'rule' ? 'cos(ΔW, g)' : 'cos(g, H)'} within ±${t.max_abs} of 0`);
}

/** Figs. 8, 9: the most accurate point's alignment is near zero (and how it ranks among the points by |alignment|). */
function bestNearZero(d: Extract<SceDecl, { kind: 'sce-best-near-zero' }>, g: SceSummaryGroup): Outcome {
  const ax = AXES[d.params.group]!;
  const pts = g.points.filter((p) => usable(p) && p.acc !== null);
  const label = (p: ScePoint) => `${ax.series} ${p.series}, ${ax.x} = ${axisLabel(p.x)}`;
  if (pts.length < 2) return skipped(`${pts.length} point(s) with an accuracy and an alignment: no best to pick`);
  const best = pts.reduce((a, b) => (b.acc! > a.acc! ? b : a));
  const byAbs = [...pts].sort((a, b) => Math.abs(a.alignment!) - Math.abs(b.alignment!));
  const rank = byAbs.indexOf(best) + 1;
  const measured = { best: label(best), accuracy: r3(best.acc), alignment: r3(best.alignment), absRank: rank, points: pts.length, alignmentRange: [r3(Math.min(...pts.map((p) => p.alignment!))), r3(Math.max(...pts.map((p) => p.alignment!)))] };
  const ok = Math.abs(best.alignment!) <= d.tolerance.max_abs;
  const item: CheckItem = {
    label: `most accurate: ${label(best)}`, status: ok ? 'PASS' : 'FAIL',
    why: `accuracy ${r3(best.acc)} at alignment ${r3(best.alignment)} (need |·| ≤ ${d.tolerance.max_abs}); ${rank}${rank === 1 ? 'st' : rank === 2 ? 'nd' : rank === 3 ? 'rd' : 'th'} nearest zero of ${pts.length} points, whose alignments span ${measured.alignmentRange.join(' to ')}`,
    measured,
  };
  return combine([item], item.why);
}

function initScale(d: Extract<SceDecl, { kind: 'sce-init-scale' }>, s: SceSummary): Outcome {
  const t = d.tolerance;
  const c = s.curves.fig7;
  if (!c || c.signal.length === 0) return skipped('no Fig. 7 curves in the summary');
  const jumps: { label: string; jump: number }[] = [];
  const items = c.signal.map((sig): CheckItem => {
    const label = sig.label;
    const norm = c.norm.find((n) => n.label === sig.label);
    const idx = sig.mean.map((v, i) => (v !== null && Number.isFinite(v) ? i : -1)).filter((i) => i >= 0);
    if (idx.length < 2 || !norm) return { label, status: 'SKIPPED', why: idx.length < 2 ? `${idx.length} curve point(s)` : 'no norm curve', measured: {} };
    const first = idx[0]!;
    const peak = idx.reduce((a, b) => (sig.mean[b]! > sig.mean[a]! ? b : a));
    const jump = sig.mean[peak]! - sig.mean[first]!;
    jumps.push({ label, jump });
    let worst = -Infinity;
    for (let i = first + 1; i <= peak; i++) {
      const a = norm.mean[i - 1];
      const b = norm.mean[i];
      if (a !== null && a !== undefined && b !== null && b !== undefined && a > 0) worst = Math.max(worst, (b - a) / a);
    }
    const n0 = norm.mean[first] ?? null;
    const n1 = norm.mean[peak] ?? null;
    const measured = { firstStep: sig.step[first], peakStep: sig.step[peak], jump: r3(jump), alignmentFirst: r3(sig.mean[first]), alignmentPeak: r3(sig.mean[peak]), normFirst: r3(n0), normPeak: r3(n1), largestNormRise: r3(Number.isFinite(worst) ? worst : null) };
    const phase = `steps ${sig.step[first]}–${sig.step[peak]}`;
    if (!(jump >= t.min_jump)) return { label, status: 'FAIL', why: `alignment rises by ${r3(jump)} to its peak at step ${sig.step[peak]} (need a jump ≥ ${t.min_jump})`, measured };
    if (worst > t.max_norm_rise || n0 === null || n1 === null || !(n1 < n0)) {
      return { label, status: 'FAIL', why: `the norm does not decrease monotonically during the jump (${phase}): ${r3(n0)} → ${r3(n1)}, largest rise between points ${r3(worst)} (allowed ${t.max_norm_rise})`, measured };
    }
    return { label, status: 'PASS', why: `jump ${r3(jump)} (${phase}), norm ${r3(n0)} → ${r3(n1)}, falling throughout`, measured };
  });
  const spread = jumps.length >= 2 ? Math.max(...jumps.map((j) => j.jump)) - Math.min(...jumps.map((j) => j.jump)) : null;
  const measured = { jumps: jumps.map((j) => [j.label, r3(j.jump)]), spread: r3(spread) };
  items.push(
    spread === null
      ? { label: 'the jump depends on the init scale', status: 'SKIPPED', why: `${jumps.length} scale(s) with a curve: nothing to compare`, measured }
      : { label: 'the jump depends on the init scale', status: spread >= t.min_spread ? 'PASS' : 'FAIL', why: `jumps ${jumps.map((j) => `${j.label}: ${r3(j.jump)}`).join(', ')}; spread ${r3(spread)} (need ≥ ${t.min_spread})`, measured },
  );
  return combine(items, `every scale jumps by ≥ ${t.min_jump} while its norm falls, and the jump differs across scales by ≥ ${t.min_spread}`);
}
