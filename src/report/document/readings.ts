/**
 * Alternative readings of one Table 1 entry that the recorded metrics already hold, for the study
 * of why an entry differs from the paper (docs/report.md, "Readings"): the alignment of every weight
 * matrix (the paper reports layer 2, layer 1 for DFA, and is silent on why), the alignment of the
 * full update g − γW instead of the signal g, and the cosine at the last iteration instead of the
 * mean over the last K. A sensitivity analysis, never a fit: every reading of every entry is shown.
 */
import type { CellMetrics } from '../../metrics.ts';
import { meanAll } from '../aggregate/stats.ts';

/** Reading name → the mean over the entry's usable cells (null when no cell has it). */
export type Readings = Readonly<Record<string, number | null>>;

/** The reading names of one cell's metrics: `layer W1`…, `full update`, `last iteration`. */
function readingsOf(m: CellMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, a] of Object.entries(m.alignment)) if (Number.isFinite(a.signal)) out[`layer ${name}`] = a.signal;
  const rep = m.alignment[m.reportedLayer];
  if (rep && Number.isFinite(rep.full)) out['full update g − γW'] = rep.full;
  const last = rep?.window[rep.window.length - 1];
  if (last !== undefined && Number.isFinite(last)) out['last iteration'] = last;
  return out;
}

/** The readings of an entry: per reading, the mean over the cells that have it. */
export function entryReadings(cells: readonly CellMetrics[]): Readings {
  const acc = new Map<string, number[]>();
  for (const m of cells) for (const [k, v] of Object.entries(readingsOf(m))) acc.set(k, [...(acc.get(k) ?? []), v]);
  return Object.fromEntries([...acc].sort(([a], [b]) => a.localeCompare(b)).map(([k, vs]) => [k, vs.length ? meanAll(vs) : null]));
}
