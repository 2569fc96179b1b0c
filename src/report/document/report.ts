/**
 * The report's content (docs/definitions.md §Checks to §Scale and profiles, issue 5): the verdict first, Table 1 paper vs ours with the
 * mismatches said plainly, the boundary fit with its figure, the other figures, provenance.
 * Pure: aggregated data in, a document (report-doc.ts) out.
 */
import type { ChecksFile } from '../checks/checks.ts';
import { REPORT_SECTIONS, type FigureEntry, type FigureIndex, type FigureSection } from '../figures/figure-index.ts';
import { sweepSummary, type LearningSweep } from '../aggregate/learning-sweep.ts';
import type { NoiseGrid, NoiseGrids } from '../aggregate/noise-grid.ts';
import type { RunProvenance } from '../../stage-api.ts';
import type { Block } from './report-doc.ts';
import { readingsSection } from './readings-section.ts';
import { conventionsSection } from './conventions-render.ts';
import type { ConventionsStudy } from '../aggregate/conventions.ts';
import type { Table1 } from '../aggregate/table1.ts';
import { mismatch, paperDisplay } from './table1-render.ts';
import { fixed, fmt, fmtGamma, pct, sci, shortNum, sig2 } from '../format.ts';

/** What the report says in place of a figure source that gave no input (the report's `absent_figures` param). */
export interface AbsentFigures {
  /** Who did not run, for the "Not run" list: "The classification experiments (SCE figures)". */
  readonly what: string;
  /** The heading its figures would have had. */
  readonly title: string;
  /** Why, as far as the report can tell. */
  readonly why: string;
}

/** A figure section as the report sees it: declared by an input's index, or the place of an absent one. */
export type ReportSection = FigureSection & { readonly notRun?: { readonly what: string; readonly why: string } };

/** The figures of all inputs, in dep-name order, with the sections they declared. */
export interface ReportFigures {
  readonly figures: readonly FigureEntry[];
  readonly sections: readonly ReportSection[];
  readonly renderer: FigureIndex['renderer'];
}

/** Everything the report is built from; all but the title and profile may be absent. */
export interface ReportInputs {
  readonly title: string;
  readonly profile: string;
  readonly table1?: Table1 | null;
  readonly noise?: NoiseGrids | null;
  readonly learning?: LearningSweep | null;
  readonly checks?: ChecksFile | null;
  /** The conventions study (its stage's conventions.json), when it ran. */
  readonly conventions?: ConventionsStudy | null;
  /** The figures collected from every input with a figures/index.json (figures/collect-figures.ts). */
  readonly figures?: ReportFigures | null;
  /** SVG markup by figure name. */
  readonly svgs?: Readonly<Record<string, string>>;
  /** How the run was made; only the published copy has it (the stage's `publish` hook). */
  readonly provenance?: RunProvenance | null;
  readonly mismatchTol?: number;
  readonly gridNotes?: Readonly<Record<string, string>>;
  readonly variantNotes?: Readonly<Record<string, string>>;
  /** Facts the report stage gathered itself (used where provenance is silent). */
  readonly local?: { readonly node: string; readonly platform: string; readonly cpus: number; readonly cpuModel: string; readonly memoryGiB: number };
}

/** The report document. */
export function buildReport(inp: ReportInputs): Block[] {
  const b: Block[] = [{ kind: 'h', level: 1, text: inp.title }, { kind: 'p', text: `Profile: \`${inp.profile}\`.` }, { kind: 'toc' }];
  b.push(...verdict(inp.checks ?? null));
  b.push(...notRun(inp));
  const key = keyFigures(inp);
  b.push(...key.blocks);
  b.push(...table1Section(inp, key.names));
  b.push(...readingsSection(inp.table1, inp.mismatchTol ?? 0.1));
  b.push(...conventionsSection(inp.conventions, (model, rule) => inp.table1?.paper?.rows.find((r) => r.model === model && r.rule === rule)?.mean ?? null));
  b.push(...boundarySection(inp, key.names));
  b.push(...figureSections(inp));
  b.push(...provenanceSection(inp));
  return b;
}

/**
 * What this reproduction did not run, said right under the verdict: Table 1 rows without any cell
 * (per variant and model), noise grids without cells, the classification experiments. A reader
 * must never take a missing part for a passing one.
 */
export function notRun(inp: ReportInputs): Block[] {
  const items: string[] = [];
  const t = inp.table1;
  for (const v of t?.variants ?? []) {
    const es = t!.entries.filter((e) => e.variant === v);
    for (const m of [...new Set(es.map((e) => e.model))]) {
      const row = es.filter((e) => e.model === m);
      const missing = row.filter((e) => e.state === 'missing');
      if (missing.length === row.length) items.push(`Table 1, ${m} rows of variant \`${v}\`: no cells (${row.length} entries missing); the checks on them are SKIPPED.`);
      else if (missing.length) items.push(`Table 1, ${m} rows of variant \`${v}\`: ${missing.length} of ${row.length} entries have no cells.`);
    }
  }
  for (const g of inp.noise?.grids ?? []) if (g.nCells === 0) items.push(`Noise grid \`${g.name}\`: no cells${g.description ? ` (${g.description.replace(/\.$/, '')})` : ''}.`);
  for (const s of inp.figures?.sections ?? []) if (s.notRun) items.push(`${s.notRun.what}: ${s.notRun.why}.`);
  if (!items.length) return [];
  const cmd = inp.provenance?.command;
  return [
    { kind: 'h', level: 2, text: 'Not run in this reproduction' },
    { kind: 'list', items },
    { kind: 'p', text: `${cmd && cmd.includes('--without') ? `This run was made with \`${cmd}\`, which leaves those stages out on purpose. ` : ''}\`hebb repro --profile ${inp.profile}\` without \`--without\` runs them (on a machine that can: see the README for their cost).` },
  ];
}

function verdict(c: ChecksFile | null): Block[] {
  const out: Block[] = [{ kind: 'h', level: 2, text: 'Verdict' }];
  if (!c) return [...out, { kind: 'verdict', status: 'incomplete', text: 'the checks did not run (no checks.json).' }];
  const gating = c.results.filter((r) => r.gate);
  const failed = gating.filter((r) => r.status === 'FAIL');
  const skipped = gating.filter((r) => r.status === 'SKIPPED');
  const passed = gating.filter((r) => r.status === 'PASS');
  if (failed.length) out.push({ kind: 'verdict', status: 'fail', text: `${failed.length} of ${gating.length} gating checks FAILED: ${failed.map((r) => r.name).join(', ')}. ${passed.length} passed, ${skipped.length} skipped.` });
  else if (skipped.length) out.push({ kind: 'verdict', status: 'incomplete', text: `no gating check failed, but ${skipped.length} of ${gating.length} were SKIPPED for missing cells: ${skipped.map((r) => r.name).join(', ')}. ${passed.length} passed.` });
  else out.push({ kind: 'verdict', status: 'pass', text: `all ${gating.length} gating checks passed.` });
  const row = (r: ChecksFile['results'][number]): string[] => [r.status, r.name, figureRef(r.figure), r.gate ? 'yes' : 'report only', r.why + (r.description ? ` (${r.description})` : '')];
  const head = ['status', 'check', 'figure', 'gates', 'result'];
  // What did not pass stays in view; the full list of checks is folded.
  const notPassed = c.results.filter((r) => r.status !== 'PASS');
  if (notPassed.length) out.push({ kind: 'table', head, rows: notPassed.map(row) });
  const counts = ['PASS', 'FAIL', 'SKIPPED'].map((s) => `${c.results.filter((r) => r.status === s).length} ${s}`).join(', ');
  out.push({ kind: 'details', summary: `All ${c.results.length} checks (${counts})`, blocks: [{ kind: 'table', head, rows: c.results.map(row) }] });
  return out;
}

/** The grid the boundary check gates on (else the first with cells): its heatmap carries the paper's γ ∝ σ² claim. */
function keyGrid(inp: ReportInputs): NoiseGrid | null {
  const grids = (inp.noise?.grids ?? []).filter((g) => g.nCells > 0);
  const gated = (inp.checks?.results ?? []).filter((r) => r.kind === 'boundary-exponent' && r.gate).map((r) => String(r.params.grid));
  return grids.find((g) => gated.includes(g.name)) ?? grids[0] ?? null;
}

/**
 * The two figures that carry the paper's claims, right under the verdict: Table 1 as grouped bars
 * beside the paper's values, and the (σ, γ) alignment heatmap with its fitted boundary. The
 * sections below refer back to them rather than repeat them.
 */
function keyFigures(inp: ReportInputs): { blocks: Block[]; names: string[] } {
  const all = inp.figures?.figures ?? [];
  const g = keyGrid(inp);
  const picked = [all.find((f) => f.name === 'table1-bars'), g ? all.find((f) => f.name === `noise-${g.name}-alignment`) : undefined].filter((f) => f !== undefined);
  if (!picked.length) return { blocks: [], names: [] };
  const blocks: Block[] = [{ kind: 'h', level: 2, text: 'Key figures: Table 1 and the phase boundary' }];
  if (g?.fit) blocks.push({ kind: 'p', text: `Boundary fit on grid \`${g.name}\`: γ* = γ₀ + c·σ^b with b = ${fixed(g.fit.b)} (the paper's claim: b ≈ 2), R² = ${fixed(g.fit.r2)}; details under "Phase boundary" below.` });
  for (const f of picked) blocks.push({ kind: 'figure', name: f.name, caption: f.caption, svg: inp.svgs?.[f.name] ?? null });
  return { blocks, names: picked.map((f) => f.name) };
}

function table1Section(inp: ReportInputs, shown: readonly string[] = []): Block[] {
  const t = inp.table1;
  const out: Block[] = [{ kind: 'h', level: 2, text: 'Table 1: Hebbian alignment at convergence, paper vs ours' }];
  if (!t || t.entries.length === 0) return [...out, { kind: 'p', text: 'No Table 1 cells in this run.' }];
  const tol = inp.mismatchTol ?? 0.1;
  out.push({ kind: 'p', text: `Mean ± SD over seeds of the reported layer's alignment. "–" means the weights collapsed (docs/definitions.md §Collapse). A difference above ${tol} or a collapse on one side only is flagged as a **mismatch**. "stationary" counts the cells whose layer norm drifted < 2% over the last K iterations and, for γ > 0, whose balance residual ‖mean_K(g) − γW‖ / (‖mean_K(g)‖ + ‖γW‖) (Eq. 9 of the paper) is at most the table's threshold; "drift" and "balance" are their means over seeds. For DFA and RandomNN the note says how often the rule's norm clip bound.` });
  for (const v of t.variants) {
    const es = t.entries.filter((e) => e.variant === v);
    out.push({ kind: 'h', level: 3, text: `Variant \`${v}\`` });
    if (inp.variantNotes?.[v]) out.push({ kind: 'p', text: inp.variantNotes[v]! });
    const full: Block = {
      kind: 'table',
      head: ['model', 'rule', 'γ', 'paper', 'ours', 'ours − paper', 'n', 'stationary', 'drift', 'balance', 'note'],
      rows: es.map((e) => {
        const mm = mismatch(e, tol);
        const notes = [mm ? `**mismatch**: ${mm}` : '', e.clip ? `clip bound in ${pct(e.clip.fractionClipped)} of ${e.clip.scope} norms (max ${sig2(e.clip.maxNorm)}, limit ${e.clip.limit})` : ''].filter(Boolean);
        return [
          e.model, e.rule, fmtGamma(e.gamma), paperDisplay(e), e.display, e.diff === null ? '' : fmt(e.diff),
          e.nExpected !== null ? `${e.n}/${e.nExpected}` : String(e.n),
          e.stationary.of ? `${e.stationary.yes}/${e.stationary.of}` : '–',
          sig2(e.stationary.drift), sig2(e.stationary.balance),
          notes.join('; '),
        ];
      }),
    };
    const mms = es.map((e) => [e, mismatch(e, tol)] as const).filter(([, m]) => m !== null);
    const missing = es.filter((e) => e.state === 'missing');
    const nonStat = es.filter((e) => e.stationary.of > 0 && e.stationary.yes < e.stationary.of);
    if (mms.length) {
      out.push({ kind: 'p', text: `**${mms.length} of ${es.filter((e) => e.paper && e.state !== 'missing').length} entries with a paper value do not match the paper** (variant \`${v}\`):` });
      out.push({
        kind: 'list',
        items: mms.map(([e, m]) => {
          const stat = e.stationary.of && e.stationary.yes < e.stationary.of ? `; only ${e.stationary.yes}/${e.stationary.of} cells stationary, so the theory's prediction need not hold yet` : '';
          return `${e.model} ${e.rule} γ = ${fmtGamma(e.gamma)}: paper ${paperDisplay(e)}, ours ${e.display} — ${m}${stat}.`;
        }),
      });
    } else {
      out.push({ kind: 'p', text: `Every measured entry with a paper value is within ${tol} of it (variant \`${v}\`).` });
    }
    if (missing.length) out.push({ kind: 'p', text: `Missing (no cells yet): ${missing.map((e) => `${e.model} ${e.rule} γ = ${fmtGamma(e.gamma)}`).join('; ')}.` });
    if (nonStat.length) out.push({ kind: 'p', text: `Not every cell reached stationarity in ${nonStat.length} entries.` });
    // The mismatches are listed above, in view; the full table (every entry, n, stationarity) is folded.
    out.push({ kind: 'details', summary: `Variant \`${v}\`: the full table (${es.length} entries, ${mms.length} mismatches)`, blocks: [full] });
  }
  const sgdWeak = t.entries.some((e) => e.rule === 'sgd' && mismatch(e, tol) !== null);
  if (sgdWeak && inp.learning?.points.some((p) => p.rule === 'sgd')) {
    out.push({ kind: 'p', text: `Our SGD row differs from the paper's; the η × T sweep (below) shows how SGD's alignment depends on the amount of learning (learning rate × steps), which explains a weaker trend in short runs: ${sweepSummary(inp.learning)}.` });
  }
  const dfaOff = t.entries.some((e) => e.model === 'mlp' && e.rule === 'dfa' && mismatch(e, tol) !== null);
  if (dfaOff && inp.learning?.points.some((p) => p.rule === 'dfa' && p.mean !== null)) {
    out.push({ kind: 'p', text: `Our DFA row differs from the paper's; the same sweep for DFA (below; its reported layer W1) shows how its alignment depends on η and T: ${sweepSummary(inp.learning, 'dfa')}.` });
  }
  if (t.unreadable.length) out.push({ kind: 'p', text: `${t.unreadable.length} Table 1 cells had unreadable metrics: ${t.unreadable.map((u) => `\`${u.cell}\` (${u.error})`).join('; ')}.` });
  if (shown.includes('table1-bars')) out.push({ kind: 'p', text: 'Table 1 as grouped bars: see "Key figures" above.' });
  out.push(...figs(inp, 'table1', shown));
  return out;
}

function gridBlocks(g: NoiseGrid, inp: ReportInputs, shown: readonly string[]): Block[] {
  const out: Block[] = [{ kind: 'h', level: 3, text: `Grid \`${g.name}\`` }];
  if (g.description) out.push({ kind: 'p', text: g.description });
  if (inp.gridNotes?.[g.name]) out.push({ kind: 'p', text: inp.gridNotes[g.name]! });
  out.push({ kind: 'p', text: `${g.nCells} cells over ${g.sigmas.length} σ × ${g.gammas.length} γ${g.missing.length ? `; **${g.missing.length} (σ, γ) points missing**` : ''}.` });
  const f = g.fit;
  const ll = g.loglog;
  const pct = Math.round((f?.level ?? 0.95) * 100);
  const ci = (xs: readonly [number, number] | undefined, f: (x: number) => string): string => (xs ? ` [${f(xs[0])}, ${f(xs[1])}]` : '');
  out.push({
    kind: 'table',
    head: ['fit', 'b', `b ${pct}% CI (profile)`, `γ₀ (${pct}% bootstrap CI)`, `c (${pct}% bootstrap CI)`, 'R² (log γ*)', 'points'],
    rows: [
      f
        ? ['γ* = γ₀ + c·σ^b', fixed(f.b), `[${f.bCI[0] === null ? '< range' : fixed(f.bCI[0])}, ${f.bCI[1] === null ? '> range' : fixed(f.bCI[1])}]`, sci(f.gamma0) + (f.gamma0AtBound ? ' (at bound)' : '') + ci(f.bootstrap?.gamma0CI, sci), sci(f.c) + ci(f.bootstrap?.cCI, sci), fixed(f.r2), String(f.n)]
        : ['γ* = γ₀ + c·σ^b', 'n/a', '', '', '', '', g.fitError ?? ''],
      ...(f ? [['γ* = γ₀ + c·σ² (b fixed at 2: the paper\'s claim)', '2', '', sci(f.atB2.gamma0), sci(f.atB2.c), fixed(f.atB2.r2), String(f.n)]] : []),
      ll ? ['straight log-log over σ > 0 (not gated; biased low by γ₀)', fixed(ll.b), ll.bCI ? `[${fixed(ll.bCI[0])}, ${fixed(ll.bCI[1])}]` : 'n/a', '', sci(Math.exp(ll.logA)), fixed(ll.r2), String(ll.n)] : ['straight log-log', 'n/a', '', '', '', '', ''],
    ],
  });
  if (f?.bootstrap) out.push({ kind: 'p', text: `Intervals of γ₀ and c: percentiles of ${f.bootstrap.fitted} case-resampling bootstrap fits (seeded; ${f.bootstrap.resamples - f.bootstrap.fitted} resamples had too few distinct σ); b's bootstrap interval is [${fixed(f.bootstrap.bCI[0])}, ${fixed(f.bootstrap.bCI[1])}].` });
  const used = g.rows.filter((r) => r.used);
  if (used.length) {
    out.push({
      kind: 'p',
      text: 'γ*(σ): ' + used.map((r) => `σ = ${shortNum(r.sigma)} → ${sci((r.crossing as { gammaStar: number }).gammaStar)}${r.signChanges > 1 ? ` (the row crosses zero ${r.signChanges} times; the first crossing is used)` : ''}`).join('; ') + '.',
    });
  }
  if (g.excluded.length) {
    out.push({ kind: 'p', text: `**Excluded from the fit** (${g.excluded.length} σ${g.excludedCollapsed ? `, ${g.excludedCollapsed} of them because the crossing lands on collapsed cells` : ''}):` });
    out.push({ kind: 'list', items: g.excluded.map((e) => `σ = ${shortNum(e.sigma)}: ${e.reason}`) });
  }
  if (g.sigmas.includes(0)) out.push({ kind: 'p', text: 'σ = 0 has no place on a log axis: the figures put it at the left end of a symlog axis, the straight log-log fit leaves it out, and the γ₀ + c·σ^b fit uses it (it pins γ₀).' });
  const svg = `noise-${g.name}-alignment`;
  const fig = inp.figures?.figures.find((x) => x.name === svg);
  if (fig && shown.includes(fig.name)) out.push({ kind: 'p', text: `The alignment heatmap of grid \`${g.name}\` with its fitted boundary: see "Key figures" above.` });
  else if (fig) out.push({ kind: 'figure', name: fig.name, caption: fig.caption, svg: inp.svgs?.[fig.name] ?? null });
  return out;
}

function boundarySection(inp: ReportInputs, shown: readonly string[] = []): Block[] {
  const grids = (inp.noise?.grids ?? []).filter((g) => g.nCells > 0);
  const out: Block[] = [{ kind: 'h', level: 2, text: 'Phase boundary γ*(σ) ∝ σ^b (noise grid, Fig. 5)' }];
  if (!grids.length) return [...out, { kind: 'p', text: 'No noise-grid cells in this run.' }];
  const bchecks = (inp.checks?.results ?? []).filter((r) => r.kind === 'boundary-exponent');
  const desc = (r: (typeof bchecks)[number]): string => `grid \`${String(r.params.grid)}\` (${r.name}: ${r.status}, ${r.why})`;
  const gating = bchecks.filter((r) => r.gate);
  const reported = bchecks.filter((r) => !r.gate);
  if (gating.length) out.push({ kind: 'p', text: `The boundary check gates on ${gating.map(desc).join('; ')}.` + (reported.length ? ` Reported only: ${reported.map(desc).join('; ')}.` : '') + ' Other grids are reported as found.' });
  for (const g of grids) out.push(...gridBlocks(g, inp, shown));
  return out;
}

/** How a check names the paper's figure it is about: 'Fig. 2', 'Section 5'; '' when none (older checks.json files lack the field). */
export function figureRef(figure: string | null | undefined): string {
  if (!figure) return '';
  return /^[0-9]/.test(figure) ? `Fig. ${figure}` : figure;
}

/** The checks about one of our figures (their `figureName`), as a list under it: status, gating, result. */
function checksBeside(inp: ReportInputs, name: string): Block[] {
  const rs = (inp.checks?.results ?? []).filter((r) => r.figureName === name);
  if (!rs.length) return [];
  return [{ kind: 'list', items: rs.map((r) => `**${r.status}** \`${r.name}\`${r.gate ? '' : ' (report only)'}${r.figure ? ` — ${figureRef(r.figure)}` : ''}: ${r.why}`) }];
}

function figs(inp: ReportInputs, section: string, skip: readonly string[] = []): Block[] {
  return (inp.figures?.figures ?? [])
    .filter((f) => f.section === section && !skip.includes(f.name))
    .flatMap((f): Block[] => [{ kind: 'figure', name: f.name, caption: f.caption, svg: inp.svgs?.[f.name] ?? null }, ...checksBeside(inp, f.name)]);
}

/**
 * The figure sections the inputs declared (figures/index.json `sections`), in order, after the
 * report's own: heading, caveat, text, then the section's figures. An absent source says why.
 */
function figureSections(inp: ReportInputs): Block[] {
  const out: Block[] = [];
  const own: readonly string[] = REPORT_SECTIONS;
  const seen = new Set<string>(own);
  for (const s of inp.figures?.sections ?? []) {
    if (seen.has(s.id)) continue;
    seen.add(s.id);
    out.push({ kind: 'h', level: 2, text: s.title });
    if (s.notRun) {
      out.push({ kind: 'p', text: `Not run: ${s.notRun.why}.` });
      continue;
    }
    if (s.caveat) out.push({ kind: 'verdict', status: 'incomplete', text: s.caveat });
    if (s.text) out.push({ kind: 'p', text: s.text });
    out.push(...figs(inp, s.id));
  }
  return out;
}

function provenanceSection(inp: ReportInputs): Block[] {
  const p = inp.provenance ?? null;
  const out: Block[] = [{ kind: 'h', level: 2, text: 'Provenance' }];
  const nr = 'not recorded';
  const backends = inp.table1?.backends ?? [];
  const backend = p?.backend ? `${p.backend.name}${p.backend.version ? ` ${p.backend.version}` : ''}` : backends.length ? backends.map((x) => `${x.backend} ${x.version} (${x.cells} Table 1 cells)`).join(', ') : nr;
  const versions = { ...(inp.figures?.renderer ? { vega: inp.figures.renderer.vega, 'vega-lite': inp.figures.renderer.vegaLite } : {}), ...(inp.local ? { node: inp.local.node } : {}), ...(p?.versions ?? {}) };
  const m = p?.machine;
  const machine = m
    ? [m.cpuModel, m.cpus ? `${m.cpus} CPUs` : '', m.memoryGiB ? `${m.memoryGiB} GiB` : '', m.platform && m.arch ? `${m.platform}/${m.arch}` : m.platform ?? '', m.hostname ?? ''].filter(Boolean).join(', ')
    : inp.local ? `${inp.local.cpuModel}, ${inp.local.cpus} CPUs, ${inp.local.memoryGiB} GiB, ${inp.local.platform} (where the report stage ran)` : nr;
  const rows: string[][] = [
    ['profile', p?.profile ?? inp.profile],
    ['command', p?.command ?? nr],
    ['git commit', p?.git ? `${p.git.commit}${p.git.dirty ? ' (dirty working tree)' : ''}` : nr],
    ['backend', backend],
    ['versions', Object.keys(versions).length ? Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ') : nr],
    ['cells', p?.cells ? `${p.cells.total} total, ${p.cells.cached} from cache, ${p.cells.ran} ran${p.cells.failed ? `, ${p.cells.failed} failed` : ''}` : nr],
    ['wall time', p?.wallSeconds !== undefined ? `${p.wallSeconds.toFixed(1)} s${p.startedAt ? ` (${p.startedAt} → ${p.finishedAt ?? '?'})` : ''}` : nr],
    ['machine', machine],
  ];
  out.push({ kind: 'table', head: ['', ''], rows });
  if (p?.stages?.length) {
    out.push({ kind: 'table', head: ['stage', 'cells', 'from cache', 'wall time (s)'], rows: p.stages.map((s) => [s.stage, String(s.cells), String(s.cached), s.wallSeconds.toFixed(1)]) });
  } else if (backends.length) {
    out.push({ kind: 'p', text: 'Per-stage times are added when `hebb repro` publishes the report (they live in the run records, not in the cached outputs).' });
  }
  if (!p) out.push({ kind: 'p', text: 'No provenance input was given to the report stage; fields marked "not recorded" come from it.' });
  return out;
}
