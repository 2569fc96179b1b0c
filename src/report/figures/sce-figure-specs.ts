/**
 * Vega-Lite specs of the SCE figures (pure: aggregated data in, a spec with inlined data out;
 * stages/sce-figures.ts renders them with src/report/figures/render.ts). Discrete grids use ordinal axes
 * (γ = 0 has no place on a log axis). When `synthetic`, every title carries the label.
 */
import { BASE_CONFIG, type VlSpec } from './figure-specs.ts';
import type { SceCurve, ScePoint } from '../aggregate/sce.ts';
import type { SceSnapshot } from '../../metrics.ts';
import { axisLabel, shortNum } from '../format.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** The label on every figure drawn from synthetic data. */
export const SYNTHETIC_LABEL = 'synthetic data: code path only, not evidence';

/** Common title: text, a subtitle, and the synthetic label when it applies. */
function title(text: string, subtitle: string, synthetic: boolean): Record<string, unknown> {
  return synthetic
    ? { text: `${text} [SYNTHETIC]`, subtitle: [SYNTHETIC_LABEL, subtitle], subtitleColor: '#b00' }
    : { text, subtitle };
}

/** The x values of the points as ordinal labels, in numeric order. */
function xLabels(points: readonly ScePoint[]): string[] {
  return [...new Set(points.map((p) => p.x))].sort((a, b) => a - b).map(axisLabel);
}

/** Alignment at convergence vs a discrete x, one line per series, ± SD over seeds (Fig. 3, 11). */
export function alignmentLinesSpec(points: readonly ScePoint[], o: { title: string; subtitle: string; xTitle: string; seriesTitle: string; synthetic: boolean; width?: number }): VlSpec {
  const vals = points.filter((p) => p.alignment !== null).map((p) => ({
    series: p.series, x: axisLabel(p.x), mean: p.alignment, lo: p.alignment! - (p.alignmentSd ?? 0), hi: p.alignment! + (p.alignmentSd ?? 0),
    acc: p.acc, n: p.n, diverged: p.nDiverged, collapsed: p.nCollapsed,
  }));
  const x = { field: 'x', type: 'ordinal', title: o.xTitle, sort: xLabels(points), axis: { labelAngle: 0 } };
  const color = { field: 'series', type: 'nominal', title: o.seriesTitle };
  return {
    $schema: SCHEMA,
    title: title(o.title, o.subtitle, o.synthetic),
    width: o.width ?? 360,
    height: 240,
    data: { values: vals },
    layer: [
      { mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, data: { values: [{ y: 0 }] }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      { mark: { type: 'rule' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
      {
        mark: { type: 'line', point: true },
        encoding: {
          x, y: { field: 'mean', type: 'quantitative', title: 'Hebbian alignment cos(g, H)' }, color,
          tooltip: [{ field: 'series' }, { field: 'x' }, { field: 'mean', format: '.3f' }, { field: 'acc', format: '.3f' }, { field: 'n' }, { field: 'diverged' }, { field: 'collapsed' }],
        },
      },
    ],
    config: BASE_CONFIG,
  };
}

/** A heatmap over (x = γ, y = series value) of test accuracy or alignment (Figs. 8, 9). */
export function heatmapSpec(points: readonly ScePoint[], field: 'acc' | 'alignment', o: { title: string; subtitle: string; xTitle: string; yTitle: string; yOrder: readonly number[]; synthetic: boolean }): VlSpec {
  const vals = points.map((p) => ({ x: axisLabel(p.x), y: p.series, value: p[field], text: p[field] === null ? (p.nDiverged ? 'NaN' : '–') : p[field]!.toFixed(2), n: p.n, diverged: p.nDiverged }));
  const m = Math.max(0.05, ...vals.map((v) => Math.abs(v.value ?? 0)));
  const color = field === 'alignment'
    ? { field: 'value', type: 'quantitative', title: 'alignment', scale: { scheme: 'redblue', domain: [-Math.min(1, m), Math.min(1, m)], domainMid: 0 } }
    : { field: 'value', type: 'quantitative', title: 'test accuracy', scale: { scheme: 'viridis' } };
  const x = { field: 'x', type: 'ordinal', title: o.xTitle, sort: xLabels(points), axis: { labelAngle: 0 } };
  const y = { field: 'y', type: 'ordinal', title: o.yTitle, sort: o.yOrder.map(axisLabel) };
  return {
    $schema: SCHEMA,
    title: title(o.title, o.subtitle, o.synthetic),
    width: 60 * Math.max(2, xLabels(points).length),
    height: 36 * Math.max(2, o.yOrder.length),
    data: { values: vals },
    layer: [
      { transform: [{ filter: 'datum.value === null' }], mark: { type: 'rect', fill: '#d0d0d0' }, encoding: { x, y } },
      { transform: [{ filter: 'datum.value !== null' }], mark: { type: 'rect' }, encoding: { x, y, color, tooltip: [{ field: 'x' }, { field: 'y' }, { field: 'value', format: '.3f' }, { field: 'n' }, { field: 'diverged' }] } },
      { mark: { type: 'text', fontSize: 10 }, encoding: { x, y, text: { field: 'text' } } },
    ],
    config: BASE_CONFIG,
  };
}

/** Curves over training with a ± band (Figs. 4, 7). */
export function curvesSpec(cs: readonly SceCurve[], o: { title: string; subtitle: string; yTitle: string; seriesTitle: string; synthetic: boolean; band: boolean; zeroLine: boolean }): VlSpec {
  const vals: Record<string, unknown>[] = [];
  for (const c of cs) {
    c.step.forEach((step, i) => {
      const m = c.mean[i];
      if (m === null || m === undefined) return;
      const d = c.sd[i] ?? 0;
      vals.push({ label: c.label, step, mean: m, lo: m - d, hi: m + d });
    });
  }
  const color = { field: 'label', type: 'nominal', title: o.seriesTitle, sort: cs.map((c) => c.label), legend: { labelLimit: 320 } };
  const x = { field: 'step', type: 'quantitative', title: 'iteration' };
  const layers: VlSpec[] = [];
  if (o.zeroLine) layers.push({ mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, data: { values: [{ y: 0 }] }, encoding: { y: { field: 'y', type: 'quantitative' } } });
  if (o.band) layers.push({ mark: { type: 'area', opacity: 0.2 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } });
  layers.push({ mark: { type: 'line', strokeWidth: 1.8 }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: o.yTitle }, color } });
  return { $schema: SCHEMA, title: title(o.title, o.subtitle, o.synthetic), width: 420, height: 220, data: { values: vals }, layer: layers, config: BASE_CONFIG };
}

/** Side-by-side panels sharing a title. */
export function panels(specs: readonly VlSpec[], o: { title: string; subtitle: string; synthetic: boolean }): VlSpec {
  const strip = (s: VlSpec): VlSpec => {
    const { $schema: _s, config: _c, ...rest } = s;
    return rest;
  };
  return { $schema: SCHEMA, title: title(o.title, o.subtitle, o.synthetic), hconcat: specs.map(strip), resolve: { scale: { color: 'independent' } }, config: BASE_CONFIG };
}

/**
 * Fig. 2 (and 12): for each snapshot (one per γ, or one per moment of training), the normalised
 * gradient and Hebbian crops side by side, with their cosine. `label` names a row (default: its γ).
 */
export function snapshotSpec(snaps: readonly { gamma: number; seed: number; snapshot: SceSnapshot; label?: string }[], o: { lr: number | null; synthetic: boolean; title?: string }): VlSpec {
  const vals: Record<string, unknown>[] = [];
  const facets: string[] = [];
  for (const s of snaps) {
    for (const [kind, mat] of [['gradient −∂L/∂W', s.snapshot.gradient], ['Hebbian H', s.snapshot.hebbian]] as const) {
      const name = `${s.label ?? `γ = ${axisLabel(s.gamma)}`} · ${kind} · cos ${s.snapshot.cosine.toFixed(3)}`;
      facets.push(name);
      const peak = Math.max(1e-12, ...mat.flat().map(Math.abs));
      mat.forEach((row, i) => row.forEach((v, j) => vals.push({ panel: name, row: i, col: j, value: v / peak })));
    }
  }
  return {
    $schema: SCHEMA,
    title: title(o.title ?? `Normalised weight updates of ${snaps[0]?.snapshot.layer ?? 'W2'} at the end of training`, `top-left ${snaps[0]?.snapshot.gradient.length ?? 20}×${snaps[0]?.snapshot.gradient.length ?? 20} crop (rows: output units, columns: inputs), each panel scaled to its largest entry${o.lr !== null ? `; η = ${o.lr}` : ''}; cosine of the whole matrices`, o.synthetic),
    data: { values: vals },
    facet: { field: 'panel', type: 'nominal', title: null, sort: facets, header: { labelFontSize: 11 } },
    columns: 2,
    spec: {
      width: 180,
      height: 180,
      mark: 'rect',
      encoding: {
        x: { field: 'col', type: 'ordinal', axis: null },
        y: { field: 'row', type: 'ordinal', axis: null },
        color: { field: 'value', type: 'quantitative', title: 'entry / max |entry|', scale: { scheme: 'redblue', domain: [-1, 1], domainMid: 0 } },
      },
    },
    config: BASE_CONFIG,
  };
}
