/**
 * Alignment vs the amount of learning η × T (ours, docs/definitions.md §Beyond the paper): per (rule, γ, η·T), mean ± SD
 * over seeds of the reported layer's alignment (W2; W1 for DFA). Explains why a short run shows a weaker SGD row, and
 * how DFA's γ = 0 entry depends on η (docs/conventions.md). Pure.
 */
import { cellFields, numKey, reportedAlignment, type CellRecord } from './cells.ts';
import { matches, type Selector } from './select.ts';
import { meanAll, sd } from './stats.ts';
import { expNum, fixed, sig } from '../format.ts';

/** One point of the sweep. */
export interface SweepPoint {
  readonly rule: string;
  readonly gamma: number;
  readonly lr: number;
  readonly steps: number;
  /** η × T. */
  readonly amount: number;
  readonly n: number;
  readonly nCollapsed: number;
  readonly nDiverged: number;
  readonly mean: number | null;
  readonly sd: number | null;
}

/** learning.json. */
export interface LearningSweep {
  readonly schema: 1;
  readonly points: readonly SweepPoint[];
}

/** Aggregates the selected cells by (rule, γ, η, T). */
export function aggregateLearningSweep(cells: readonly CellRecord[], select?: Selector): LearningSweep {
  const by = new Map<string, { rule: string; gamma: number; lr: number; steps: number; cs: CellRecord[] }>();
  for (const c of cells) {
    if (!c.metrics || !matches(cellFields(c), select)) continue;
    const m = c.metrics;
    const k = `${m.rule}|${numKey(m.gamma)}|${numKey(m.lr)}|${m.steps}`;
    let e = by.get(k);
    if (!e) by.set(k, (e = { rule: m.rule, gamma: m.gamma, lr: m.lr, steps: m.steps, cs: [] }));
    e.cs.push(c);
  }
  const points = [...by.values()].map((e): SweepPoint => {
    const xs: number[] = [];
    let nC = 0;
    let nD = 0;
    for (const c of e.cs) {
      const m = c.metrics!;
      if (m.status === 'diverged') { nD++; continue; }
      if (m.status === 'collapsed') nC++;
      const a = reportedAlignment(m);
      if (a === null) nD++;
      else xs.push(a);
    }
    return {
      rule: e.rule, gamma: e.gamma, lr: e.lr, steps: e.steps, amount: e.lr * e.steps,
      n: e.cs.length, nCollapsed: nC, nDiverged: nD, mean: xs.length ? meanAll(xs) : null, sd: sd(xs),
    };
  });
  points.sort((a, b) => a.rule.localeCompare(b.rule) || a.gamma - b.gamma || a.amount - b.amount);
  return { schema: 1, points };
}

/** The rules the sweep has a measured point of, in its order (SGD first). */
export function sweepRules(l: LearningSweep): string[] {
  return [...new Set(l.points.filter((p) => p.mean !== null).map((p) => p.rule))].sort((a, b) => (a === 'sgd' ? -1 : b === 'sgd' ? 1 : a.localeCompare(b)));
}

/** Per γ, in words: the rule's alignment at the smallest and the largest η × T of the sweep (empty when it has none). */
export function sweepSummary(l: LearningSweep, rule = 'sgd'): string {
  const pts = l.points.filter((p) => p.rule === rule && p.mean !== null);
  const gammas = [...new Set(pts.map((p) => p.gamma))].sort((a, b) => a - b);
  return gammas
    .map((g) => {
      const row = pts.filter((p) => p.gamma === g).sort((a, b) => a.amount - b.amount);
      const lo = row[0]!;
      const hi = row[row.length - 1]!;
      return `at γ = ${expNum(g, 3)}, ${fixed(lo.mean)} at η × T = ${sig(lo.amount, 3)} and ${fixed(hi.mean)} at η × T = ${sig(hi.amount, 3)}`;
    })
    .join('; ');
}
