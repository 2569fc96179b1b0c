/**
 * Vega-Lite specs of the noise-grid figures (Fig. 5, 6, 10 of the paper). Pure: aggregated data in,
 * a JSON spec out (data inlined, so each .vl.json reopens on its own). Rendering is in render.ts.
 */
import { logAxis } from './axes.ts';
import { boundaryAt } from '../aggregate/boundary-fit.ts';
import type { NoiseGrid } from '../aggregate/noise-grid.ts';
import { shortNum } from '../format.ts';

/** A Vega-Lite spec (kept loose: vega-lite validates it when compiling). */
export type VlSpec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Shared look: readable font sizes, white background. */
export const BASE_CONFIG = {
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  background: 'white',
  axis: { labelFontSize: 11, titleFontSize: 12, grid: false },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14, subtitleFontSize: 11, anchor: 'start' },
  view: { stroke: '#888' },
};

const SIGMA_TITLE = 'noise σ (std of the per-step parameter noise)';
const GAMMA_TITLE = 'weight decay γ';

function axisDef(values: readonly number[], title: string): Record<string, unknown> {
  const ax = logAxis(values);
  return {
    title,
    scale: { ...ax.scale, domain: [...ax.domain], nice: false },
    axis: { values: [...new Set(values)].sort((a, b) => a - b), labelExpr: 'datum.value === 0 ? "0" : format(datum.value, ".1~e")', labelAngle: -40, labelOverlap: 'greedy' },
  };
}

/** Heatmap over (σ, γ) of `field` with the zero-crossing points γ*(σ) and the fitted boundary (Fig. 5 left / 6 left / 10). */
export function gridHeatmapSpec(g: NoiseGrid, field: 'alignment' | 'valLoss'): VlSpec {
  const sx = logAxis(g.sigmas);
  const gy = logAxis(g.gammas);
  const rects = g.cells.map((c) => ({
    sigma: c.sigma, gamma: c.gamma, s0: sx.edges.get(c.sigma)![0], s1: sx.edges.get(c.sigma)![1],
    g0: gy.edges.get(c.gamma)![0], g1: gy.edges.get(c.gamma)![1],
    value: c[field], n: c.n, diverged: c.nDiverged, collapsed: c.nCollapsed,
  }));
  const present = rects.filter((r) => r.value !== null);
  const absent = [
    ...rects.filter((r) => r.value === null).map((r) => ({ ...r, why: 'diverged / unusable' })),
    ...g.missing.map((m) => ({ s0: sx.edges.get(m.sigma)?.[0], s1: sx.edges.get(m.sigma)?.[1], g0: gy.edges.get(m.gamma)?.[0], g1: gy.edges.get(m.gamma)?.[1], sigma: m.sigma, gamma: m.gamma, why: 'missing' })),
  ];
  const points = g.rows.filter((r) => r.used && 'gammaStar' in r.crossing).map((r) => ({ sigma: r.sigma, gammaStar: (r.crossing as { gammaStar: number }).gammaStar }));
  const m = Math.max(0.05, ...present.map((r) => Math.abs(r.value!)));
  const xEnc = (f: string, f2: string) => ({ x: { field: f, type: 'quantitative', ...axisDef(g.sigmas, SIGMA_TITLE) }, x2: { field: f2 } });
  const yEnc = (f: string, f2: string) => ({ y: { field: f, type: 'quantitative', ...axisDef(g.gammas, GAMMA_TITLE) }, y2: { field: f2 } });
  const color =
    field === 'alignment'
      ? { field: 'value', type: 'quantitative', title: 'alignment', scale: { scheme: 'redblue', domain: [-Math.min(1, m), Math.min(1, m)], domainMid: 0 } }
      : { field: 'value', type: 'quantitative', title: 'val. loss', scale: { type: 'log', scheme: 'viridis' } };
  const layers: VlSpec[] = [
    {
      data: { values: present },
      mark: { type: 'rect', stroke: 'white', strokeWidth: 0.3 },
      encoding: { ...xEnc('s0', 's1'), ...yEnc('g0', 'g1'), color, tooltip: [{ field: 'sigma' }, { field: 'gamma' }, { field: 'value', format: '.3f' }, { field: 'n' }] },
    },
  ];
  if (absent.length) {
    layers.push({ data: { values: absent }, mark: { type: 'rect', fill: '#d0d0d0', stroke: 'white', strokeWidth: 0.3 }, encoding: { ...xEnc('s0', 's1'), ...yEnc('g0', 'g1') } });
  }
  const fit = g.fit;
  if (fit) {
    const lo = Math.min(...g.sigmas);
    const hi = Math.max(...g.sigmas);
    const sigmaAt = (i: number): number => (i === 0 ? lo : Math.exp(Math.log(Math.max(lo, hi / 1e4)) + ((Math.log(hi) - Math.log(Math.max(lo, hi / 1e4))) * i) / 119));
    const inView = (p: { gamma: number }): boolean => p.gamma >= gy.domain[0] && p.gamma <= gy.domain[1];
    const curve = Array.from({ length: 120 }, (_, i) => ({ sigma: sigmaAt(i), gamma: boundaryAt(fit, sigmaAt(i)), which: 'fit' })).filter(inView);
    layers.push({
      data: { values: curve },
      mark: { type: 'line', color: 'black', strokeWidth: 2, clip: true },
      encoding: { x: { field: 'sigma', type: 'quantitative' }, y: { field: 'gamma', type: 'quantitative' } },
    });
    // The paper's claim read literally, γ* = γ₀ + c·σ² (b fixed at 2), dashed beside the free fit.
    const sq = Array.from({ length: 120 }, (_, i) => ({ sigma: sigmaAt(i), gamma: boundaryAt({ ...fit.atB2, b: 2 }, sigmaAt(i)), which: 'b = 2' })).filter(inView);
    layers.push({
      data: { values: sq },
      mark: { type: 'line', color: '#444', strokeWidth: 1.5, strokeDash: [5, 4], clip: true },
      encoding: { x: { field: 'sigma', type: 'quantitative' }, y: { field: 'gamma', type: 'quantitative' } },
    });
  }
  if (points.length) {
    layers.push({
      data: { values: points },
      mark: { type: 'point', shape: 'circle', filled: true, fill: 'white', stroke: 'black', strokeWidth: 1.5, size: 50, clip: true },
      encoding: { x: { field: 'sigma', type: 'quantitative' }, y: { field: 'gammaStar', type: 'quantitative' }, tooltip: [{ field: 'sigma' }, { field: 'gammaStar', format: '.2e' }] },
    });
  }
  const sub = [
    points.length ? '○ γ*(σ): zero crossing of alignment (log-interpolated)' : 'no zero crossing inside the grid',
    fit ? `— fit γ* = γ₀ + c·σ^b: b = ${fit.b.toFixed(2)}, R² = ${fit.r2.toFixed(2)}` : 'no boundary fit',
    fit ? `- - γ* = γ₀ + c·σ² (b fixed at 2, the paper's claim): R² = ${fit.atB2.r2.toFixed(2)}` : '',
    absent.length ? 'grey: missing or diverged cells' : '',
  ].filter(Boolean);
  return {
    $schema: SCHEMA,
    title: { text: `${field === 'alignment' ? 'Hebbian alignment' : 'Validation loss'} over (σ, γ): ${g.name}`, subtitle: sub },
    width: 380,
    height: 320,
    layer: layers,
    resolve: { scale: { color: 'independent' } },
    config: BASE_CONFIG,
  };
}

/** Alignment vs σ for each γ (`along = 'sigma'`) or vs γ for each σ (Fig. 5 right). */
export function gridLinesSpec(g: NoiseGrid, along: 'sigma' | 'gamma'): VlSpec {
  const other = along === 'sigma' ? 'gamma' : 'sigma';
  const vals = g.cells
    .filter((c) => c.alignment !== null)
    .map((c) => ({ x: c[along], alignment: c.alignment, sd: c.alignmentSd ?? 0, series: c[other], label: `${other === 'gamma' ? 'γ' : 'σ'} = ${shortNum(c[other])}` }));
  const title = along === 'sigma' ? 'Alignment falls as noise rises (one line per γ)' : 'Alignment rises with weight decay (one line per σ)';
  const xs = along === 'sigma' ? g.sigmas : g.gammas;
  const sortOrder = [...new Set(vals.sort((a, b) => a.series - b.series).map((v) => v.label))];
  const color = { field: 'label', type: 'ordinal', title: other === 'gamma' ? 'γ' : 'σ', sort: sortOrder, scale: { scheme: 'viridis' } };
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: `grid ${g.name}; mean over seeds` },
    width: 380,
    height: 280,
    data: { values: vals },
    layer: [
      { mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, data: { values: [{ y: 0 }] }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      {
        mark: { type: 'line', point: { size: 25 }, strokeWidth: 1.5 },
        encoding: {
          x: { field: 'x', type: 'quantitative', ...axisDef(xs, along === 'sigma' ? SIGMA_TITLE : GAMMA_TITLE) },
          y: { field: 'alignment', type: 'quantitative', title: 'Hebbian alignment cos(g, H)' },
          color,
          detail: { field: 'series' },
        },
      },
    ],
    config: BASE_CONFIG,
  };
}

/** Validation loss vs alignment for every grid cell (Fig. 6 right). */
export function lossScatterSpec(g: NoiseGrid): VlSpec {
  const vals = g.cells.filter((c) => c.alignment !== null && c.valLoss !== null).map((c) => ({ alignment: c.alignment, valLoss: c.valLoss, sigma: c.sigma, gamma: c.gamma }));
  return {
    $schema: SCHEMA,
    title: { text: 'Validation loss vs Hebbian alignment', subtitle: `grid ${g.name}; one point per (σ, γ), colour = γ` },
    width: 380,
    height: 280,
    data: { values: vals },
    layer: [
      { mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, data: { values: [{ x: 0 }] }, encoding: { x: { field: 'x', type: 'quantitative' } } },
      {
        mark: { type: 'point', filled: true, size: 40, opacity: 0.8 },
        encoding: {
          x: { field: 'alignment', type: 'quantitative', title: 'Hebbian alignment' },
          y: { field: 'valLoss', type: 'quantitative', title: 'validation loss (MSE)', scale: { type: 'log' } },
          color: { field: 'gamma', type: 'quantitative', title: 'γ', scale: { type: 'log', scheme: 'viridis' }, legend: { format: '.0e' } },
          tooltip: [{ field: 'sigma' }, { field: 'gamma' }, { field: 'alignment', format: '.3f' }, { field: 'valLoss', format: '.4f' }],
        },
      },
    ],
    config: BASE_CONFIG,
  };
}
