/**
 * Table 1 aggregation (docs/definitions.md §Table 1): per (variant, model, rule, γ), the mean ± SD over seeds of the
 * alignment at convergence of the reported layer, with collapsed / diverged / stationary counts,
 * the paper's value beside ours, and cells that were expected but are missing. Pure.
 */
import { cellFields, DEFAULT_STATIONARITY, numKey, reportedAlignment, reportedStationarity, reportedStationary, type CellRecord, type StationarityRule } from './cells.ts';
import type { ClipSummary } from '../../metrics.ts';
import { entryReadings, type Readings } from '../document/readings.ts';
import { matches, type Selector } from './select.ts';
import { meanAll, sd } from './stats.ts';
import { fmt } from '../format.ts';
import { unreachable } from '../../util/unreachable.ts';

/** One row of the paper's Table 1: per γ (same order as `gammas`), mean and SD; null mean = "–". */
export interface PaperRow {
  readonly model: string;
  readonly rule: string;
  readonly mean: readonly (number | null)[];
  readonly sd: readonly (number | null)[];
}

/** The paper's Table 1, passed as data from pipeline.yaml. */
export interface PaperTable {
  readonly gammas: readonly number[];
  readonly rows: readonly PaperRow[];
}

/** What the table should contain, so absent cells are shown as missing rather than left out. */
export interface Table1Expect {
  readonly models?: readonly string[];
  readonly rules?: readonly string[];
  readonly gammas?: readonly number[];
  readonly variants?: readonly string[];
  /** Per variant, the models it is expected to have when not all of `models`. */
  readonly variant_models?: Readonly<Record<string, readonly string[]>>;
  /** Seeds per cell. */
  readonly seeds?: number;
}

/** Options of the aggregation: the table1 stage's params, by the same names. */
export interface Table1Options {
  readonly select?: Selector;
  /** The cell param naming the variant (default `variant`). */
  readonly variant_key?: string;
  /** The variant of cells without that param (default `default`). */
  readonly default_variant?: string;
  /** Renames variant values, e.g. with variant_key `stage`: { 'train-sre-stationary': 'stationary' }. */
  readonly variant_map?: Readonly<Record<string, string>>;
  readonly paper?: PaperTable;
  readonly expect?: Table1Expect;
  /** When a cell counts as stationary (default: drift flag and balance residual ≤ 0.1). */
  readonly stationarity?: StationarityRule;
}

/** How often the rule's norm clip bound in an entry's cells (DFA, RandomNN; metrics.clip). */
export interface EntryClip {
  /** 'global' or 'per-parameter'. */
  readonly scope: string;
  readonly limit: number;
  /** Mean over cells of the fraction of clipped norms, over the run and over the last K iterations. */
  readonly fractionClipped: number;
  readonly fractionClippedWindow: number;
  /** The largest pre-clip norm of any cell. */
  readonly maxNorm: number;
  readonly cells: number;
}

/** The state of a Table 1 entry. */
export type EntryState = 'ok' | 'collapsed' | 'diverged' | 'missing';

/** One (variant, model, rule, γ) entry. */
export interface Table1Entry {
  readonly variant: string;
  readonly model: string;
  readonly rule: string;
  readonly gamma: number;
  /** Cells found (seeds). */
  readonly n: number;
  /** Seeds expected (null when not declared). */
  readonly nExpected: number | null;
  readonly nCollapsed: number;
  readonly nDiverged: number;
  /** Cells whose metrics.json could not be read. */
  readonly nUnreadable: number;
  /** Cells contributing to mean/sd (not collapsed, not diverged, finite alignment). */
  readonly nUsed: number;
  /** 'collapsed' when every readable cell collapsed; 'diverged' when every one diverged. */
  readonly state: EntryState;
  readonly mean: number | null;
  readonly sd: number | null;
  /**
   * Among non-diverged cells: how many reached stationarity (drift and balance residual both
   * within the rule), of how many recorded it; the mean drift and mean balance residual (null at γ = 0).
   */
  readonly stationary: { readonly yes: number; readonly of: number; readonly drift: number | null; readonly balance: number | null };
  /** Rules with a norm clip only: how often it bound. */
  readonly clip: EntryClip | null;
  /** Other readings of the same cells (every layer, the full update, the last iteration): readings.ts. */
  readonly readings: Readings;
  readonly paper: { readonly mean: number | null; readonly sd: number | null } | null;
  /** ours − paper (null when either side is "–" or missing). */
  readonly diff: number | null;
  /** The entry as the table shows it, e.g. `0.17 ± 0.01`, `– (3/3 collapsed)`. */
  readonly display: string;
  readonly cells: readonly string[];
}

/** table1.json. */
export interface Table1 {
  readonly schema: 1;
  readonly variants: readonly string[];
  readonly entries: readonly Table1Entry[];
  /** Cells that were selected but unreadable, with why. */
  readonly unreadable: readonly { readonly cell: string; readonly error: string }[];
  readonly paper: PaperTable | null;
  /** The backends that produced the cells (metrics.backend/backendVersion) and their summed training time. */
  readonly backends: readonly { readonly backend: string; readonly version: string; readonly cells: number }[];
}

/** Aggregates the selected cells into Table 1. */
export function aggregateTable1(cells: readonly CellRecord[], opts: Table1Options = {}): Table1 {
  const variantKey = opts.variant_key ?? 'variant';
  const defaultVariant = opts.default_variant ?? 'default';
  const groups = new Map<string, { variant: string; model: string; rule: string; gamma: number; cells: CellRecord[] }>();
  const unreadable: { cell: string; error: string }[] = [];
  const key = (v: string, m: string, r: string, g: number): string => `${v}|${m}|${r}|${numKey(g)}`;
  const add = (v: string, m: string, r: string, g: number): CellRecord[] => {
    const k = key(v, m, r, g);
    let grp = groups.get(k);
    if (!grp) groups.set(k, (grp = { variant: v, model: m, rule: r, gamma: g, cells: [] }));
    return grp.cells;
  };
  for (const c of cells) {
    const f = cellFields(c);
    if (!matches(f, opts.select)) continue;
    const raw = f[variantKey] === undefined ? defaultVariant : String(f[variantKey]);
    const variant = opts.variant_map?.[raw] ?? raw;
    if (!c.metrics) {
      unreadable.push({ cell: c.cell, error: c.error ?? 'unreadable' });
      // Still count it against its group when params identify it.
      if (typeof f.model === 'string' && typeof f.rule === 'string' && f.gamma !== undefined) add(variant, f.model, f.rule, Number(f.gamma)).push(c);
      continue;
    }
    add(variant, c.metrics.model, c.metrics.rule, c.metrics.gamma).push(c);
  }
  // Expected but absent entries.
  const ex = opts.expect;
  if (ex?.models && ex.rules && ex.gammas) {
    const variants = ex.variants ?? (groups.size ? [...new Set([...groups.values()].map((g) => g.variant))] : [defaultVariant]);
    for (const v of variants) for (const m of ex.variant_models?.[v] ?? ex.models) for (const r of ex.rules) for (const g of ex.gammas) add(v, m, r, g);
  }
  const rule = opts.stationarity ?? DEFAULT_STATIONARITY;
  const entries = [...groups.values()].map((g) => entryOf(g, ex?.seeds ?? null, opts.paper ?? null, rule));
  entries.sort(compareEntries(opts.paper ?? null));
  return {
    schema: 1,
    variants: [...new Set(entries.map((e) => e.variant))],
    entries,
    unreadable,
    paper: opts.paper ?? null,
    backends: backendsOf(cells.filter((c) => matches(cellFields(c), opts.select))),
  };
}

function backendsOf(cells: readonly CellRecord[]): Table1['backends'] {
  const m = new Map<string, { backend: string; version: string; cells: number }>();
  for (const c of cells) {
    if (!c.metrics) continue;
    const k = `${c.metrics.backend}@${c.metrics.backendVersion}`;
    const e = m.get(k) ?? { backend: c.metrics.backend, version: c.metrics.backendVersion, cells: 0 };
    e.cells++;
    m.set(k, e);
  }
  return [...m.values()];
}

function entryOf(
  g: { variant: string; model: string; rule: string; gamma: number; cells: CellRecord[] },
  nExpected: number | null,
  paper: PaperTable | null,
  rule: StationarityRule,
): Table1Entry {
  const drifts: number[] = [];
  const balances: number[] = [];
  const clips: ClipSummary[] = [];
  const usable: CellRecord['metrics'][] = [];
  let nCollapsed = 0;
  let nDiverged = 0;
  let nUnreadable = 0;
  const used: number[] = [];
  let statYes = 0;
  let statOf = 0;
  for (const c of g.cells) {
    const m = c.metrics;
    if (!m) {
      nUnreadable++;
      continue;
    }
    if (m.status === 'diverged') {
      nDiverged++;
      continue;
    }
    if (m.clip) clips.push(m.clip);
    const sm = reportedStationarity(m);
    if (sm) {
      if (Number.isFinite(sm.drift)) drifts.push(sm.drift);
      if (sm.balance !== null && Number.isFinite(sm.balance)) balances.push(sm.balance);
    }
    const st = reportedStationary(m, rule);
    if (st !== null) {
      statOf++;
      if (st) statYes++;
    }
    if (m.status === 'collapsed') {
      nCollapsed++;
      continue;
    }
    const a = reportedAlignment(m);
    if (a === null) nDiverged++; // a non-finite alignment is a broken run, whatever its status says
    else {
      used.push(a);
      usable.push(m);
    }
  }
  const n = g.cells.length;
  const readable = n - nUnreadable;
  let state: EntryState;
  if (readable === 0) state = 'missing';
  else if (used.length > 0) state = 'ok';
  else if (nCollapsed > 0) state = 'collapsed';
  else state = 'diverged';
  const mu = used.length ? meanAll(used) : null;
  const s = sd(used);
  const p = paperValue(paper, g.model, g.rule, g.gamma);
  const diff = mu !== null && p?.mean != null ? mu - p.mean : null;
  return {
    variant: g.variant,
    model: g.model,
    rule: g.rule,
    gamma: g.gamma,
    n: readable,
    nExpected,
    nCollapsed,
    nDiverged,
    nUnreadable,
    nUsed: used.length,
    state,
    mean: mu,
    sd: s,
    stationary: { yes: statYes, of: statOf, drift: drifts.length ? meanAll(drifts) : null, balance: balances.length ? meanAll(balances) : null },
    clip: clipOf(clips),
    readings: entryReadings(usable.filter((m) => m !== null)),
    paper: p,
    diff,
    display: displayOf(state, mu, s, readable, nCollapsed, nDiverged),
    cells: g.cells.map((c) => c.cell).sort(),
  };
}

function clipOf(cs: readonly ClipSummary[]): EntryClip | null {
  if (!cs.length) return null;
  return {
    scope: cs[0]!.scope,
    limit: cs[0]!.limit,
    fractionClipped: meanAll(cs.map((c) => c.fractionClipped)),
    fractionClippedWindow: meanAll(cs.map((c) => c.fractionClippedWindow)),
    maxNorm: Math.max(...cs.map((c) => c.max)),
    cells: cs.length,
  };
}

/** The text of one entry: `0.17 ± 0.01`, `– (3/3 collapsed)`, `diverged (2/2)`, `missing`. */
export function displayOf(state: EntryState, mu: number | null, s: number | null, n: number, nCollapsed: number, nDiverged: number): string {
  switch (state) {
    case 'missing':
      return 'missing';
    case 'collapsed':
      return `– (${nCollapsed}/${n} collapsed)` + (nDiverged ? `, ${nDiverged}/${n} diverged` : '');
    case 'diverged':
      return `diverged (${nDiverged}/${n})`;
    case 'ok': {
      const notes: string[] = [];
      if (nCollapsed) notes.push(`${nCollapsed}/${n} collapsed`);
      if (nDiverged) notes.push(`${nDiverged}/${n} diverged`);
      const base = `${fmt(mu)} ± ${s === null ? 'n/a' : fmt(s)}`;
      return notes.length ? `${base} (${notes.join(', ')})` : base;
    }
    default:
      return unreachable(state);
  }
}

/** The paper's value for (model, rule, γ), or null when the paper does not report it. */
export function paperValue(paper: PaperTable | null, model: string, rule: string, gamma: number): { mean: number | null; sd: number | null } | null {
  if (!paper) return null;
  const i = paper.gammas.findIndex((x) => numKey(x) === numKey(gamma));
  const row = paper.rows.find((r) => r.model === model && r.rule === rule);
  if (i < 0 || !row) return null;
  return { mean: row.mean[i] ?? null, sd: row.sd[i] ?? null };
}

function compareEntries(paper: PaperTable | null): (a: Table1Entry, b: Table1Entry) => number {
  const modelOrder = (m: string): number => {
    const i = paper ? [...new Set(paper.rows.map((r) => r.model))].indexOf(m) : -1;
    return i < 0 ? 99 : i;
  };
  const ruleOrder = (r: string): number => {
    const i = paper ? [...new Set(paper.rows.map((x) => x.rule))].indexOf(r) : -1;
    return i < 0 ? 99 : i;
  };
  return (a, b) =>
    a.variant.localeCompare(b.variant) ||
    modelOrder(a.model) - modelOrder(b.model) ||
    a.model.localeCompare(b.model) ||
    ruleOrder(a.rule) - ruleOrder(b.rule) ||
    a.rule.localeCompare(b.rule) ||
    a.gamma - b.gamma;
}

