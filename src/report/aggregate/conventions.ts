/**
 * The conventions study (docs/conventions.md): Table 1 entries trained under alternative readings
 * of what the paper leaves open, set beside the baseline and the paper. For every baseline entry
 * that misses the paper's tolerance, the verdict lists the readings that bring it within, or says
 * none does. Every reading's whole row is kept: a sensitivity analysis, never a fit. Pure.
 */
import type { Table1Entry } from './table1.ts';

/** The agreement rule of the paper-agreement check: |ours − paper| ≤ max(max_abs_diff, sd_multiple × paper SD). */
export interface Tolerance {
  readonly max_abs_diff: number;
  readonly sd_multiple: number;
}

/** The default tolerance, as the paper-agreement check's. */
export const DEFAULT_TOLERANCE: Tolerance = { max_abs_diff: 0.1, sd_multiple: 2 };

/** One reading's value of one entry. */
export interface ReadingValue {
  readonly reading: string;
  readonly mean: number | null;
  readonly sd: number | null;
  readonly n: number;
  /** The entry as Table 1 shows it (`0.17 ± 0.01`, `– (3/3 collapsed)`, `missing`). */
  readonly display: string;
  /** Whether it agrees with the paper (null when the paper has no value or the entry is missing). */
  readonly agrees: boolean | null;
}

/** A baseline entry that misses the paper, and what each reading makes of it. */
export interface EntryVerdict {
  readonly model: string;
  readonly rule: string;
  readonly gamma: number;
  readonly paper: { readonly mean: number | null; readonly sd: number | null };
  readonly baseline: ReadingValue;
  readonly readings: readonly ReadingValue[];
  /** The readings that agree with the paper where the baseline does not. */
  readonly reproducedBy: readonly string[];
  /** One sentence: which reading reproduces the entry, how close the nearest one comes, or that none was tried. */
  readonly verdict: string;
}

/** conventions.json: every (model, rule) row per reading, and the verdicts. */
export interface ConventionsStudy {
  readonly baseline: string;
  readonly readings: readonly string[];
  readonly gammas: readonly number[];
  /** Per (model, rule): the baseline's and each reading's entries, in γ order. */
  readonly rows: readonly { readonly model: string; readonly rule: string; readonly values: Readonly<Record<string, readonly ReadingValue[]>> }[];
  readonly verdicts: readonly EntryVerdict[];
}

/** Whether an entry agrees with the paper's value under `tol` (both "–": agree; one "–": disagree). */
export function agrees(e: Pick<Table1Entry, 'state' | 'mean' | 'paper'>, tol: Tolerance): boolean | null {
  if (!e.paper || e.state === 'missing') return null;
  const paperCollapsed = e.paper.mean === null;
  if (e.state === 'collapsed' || e.mean === null) return paperCollapsed;
  if (paperCollapsed) return false;
  return Math.abs(e.mean - e.paper.mean!) <= Math.max(tol.max_abs_diff, tol.sd_multiple * (e.paper.sd ?? 0));
}

function valueOf(reading: string, e: Table1Entry | undefined, tol: Tolerance): ReadingValue {
  if (!e) return { reading, mean: null, sd: null, n: 0, display: 'not run', agrees: null };
  return { reading, mean: e.mean, sd: e.sd, n: e.n, display: e.display, agrees: agrees(e, tol) };
}

const fmt = (v: number | null): string => (v === null ? '–' : v.toFixed(2));

/**
 * The study from Table 1 entries whose variant is the baseline or one of the readings. Entries of
 * the same (model, rule, γ) are compared; a reading absent for a rule (e.g. DFA's feedback for
 * SGD) is simply not in that rule's row.
 */
export function conventionsStudy(entries: readonly Table1Entry[], baseline: string, readings: readonly string[], tol: Tolerance = DEFAULT_TOLERANCE): ConventionsStudy {
  const key = (v: string, m: string, r: string, g: number): string => `${v}|${m}|${r}|${g}`;
  const byKey = new Map(entries.map((e) => [key(e.variant, e.model, e.rule, e.gamma), e]));
  const base = entries.filter((e) => e.variant === baseline);
  const gammas = [...new Set(base.map((e) => e.gamma))].sort((a, b) => a - b);
  const pairs = [...new Map(base.map((e) => [`${e.model}|${e.rule}`, { model: e.model, rule: e.rule }])).values()];
  const rows = pairs.map(({ model, rule }) => {
    const values: Record<string, ReadingValue[]> = {};
    for (const v of [baseline, ...readings]) {
      const row = gammas.map((g) => byKey.get(key(v, model, rule, g)));
      if (v !== baseline && row.every((e) => e === undefined)) continue;
      values[v] = row.map((e) => valueOf(v, e, tol));
    }
    return { model, rule, values };
  });
  const verdicts: EntryVerdict[] = [];
  for (const e of base) {
    if (agrees(e, tol) !== false) continue;
    const tried = readings.map((r) => byKey.get(key(r, e.model, e.rule, e.gamma))).filter((x): x is Table1Entry => x !== undefined);
    const values = tried.map((t) => valueOf(t.variant, t, tol));
    const reproducedBy = values.filter((v) => v.agrees === true).map((v) => v.reading);
    const paper = { mean: e.paper?.mean ?? null, sd: e.paper?.sd ?? null };
    verdicts.push({ model: e.model, rule: e.rule, gamma: e.gamma, paper, baseline: valueOf(baseline, e, tol), readings: values, reproducedBy, verdict: verdictOf(e, values, reproducedBy) });
  }
  return { baseline, readings, gammas, rows, verdicts };
}

function verdictOf(e: Table1Entry, values: readonly ReadingValue[], reproducedBy: readonly string[]): string {
  const paper = e.paper?.mean ?? null;
  if (values.length === 0) return `no reading was trained for this entry; ours ${e.display}, paper ${fmt(paper)}`;
  if (reproducedBy.length > 0) {
    const seeds = Math.min(...values.filter((v) => reproducedBy.includes(v.reading)).map((v) => v.n));
    return `reproduced by ${reproducedBy.join(', ')} (${seeds} seed${seeds === 1 ? '' : 's'}; ours by default ${e.display}, paper ${fmt(paper)})`;
  }
  if (paper === null) return `no reading collapses the weights as the paper reports; the nearest is listed in the row above`;
  const finite = values.filter((v) => v.mean !== null);
  if (finite.length === 0) return `every reading collapses where the paper has ${fmt(paper)}`;
  const nearest = finite.reduce((a, b) => (Math.abs(b.mean! - paper) < Math.abs(a.mean! - paper) ? b : a));
  const moved = e.mean !== null ? Math.abs(e.mean - paper) - Math.abs(nearest.mean! - paper) : null;
  if (moved !== null && moved < 0.01) return `no reading moves it towards the paper by 0.01 or more (ours by default ${e.display}, paper ${fmt(paper)}; every reading's value is in the row above)`;
  return `no reading reproduces it: the nearest is ${nearest.reading} at ${fmt(nearest.mean)} (paper ${fmt(paper)}, ours by default ${e.display}${moved !== null ? `; closer by ${moved.toFixed(2)}` : ''})`;
}
