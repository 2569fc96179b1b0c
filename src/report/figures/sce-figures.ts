/**
 * Which SCE figures exist for the loaded cells, and the numbers behind them (pure). One builder per
 * figure group (the `sce-figures` stage's deps); an empty group draws nothing. The summary holds
 * every plotted point, the Fig. 7 curves and the reported γ trends (none evaluated on synthetic
 * data); the SCE checks (src/report/checks/sce-checks.ts) read it, so figures and checks share one
 * aggregation.
 */
import { aggregatePoints, curves, fig12Snapshots, snapshots, trends, type SceCell, type SceCurve, type ScePoint, type SceTrend } from '../aggregate/sce.ts';
import { alignmentLinesSpec, curvesSpec, heatmapSpec, panels, snapshotSpec } from './sce-figure-specs.ts';
import type { VlSpec } from './figure-specs.ts';
import { axisLabel } from '../format.ts';

/** One figure to render. */
export interface SceFigureDef {
  readonly name: string;
  /** The paper's figure it reproduces ('2', '3', ...). */
  readonly figure: string;
  readonly caption: string;
  readonly spec: VlSpec;
}

/** One figure group of sce-summary.json: the cells found, unreadable ones, the aggregated points and the figure that draws them. */
export interface SceSummaryGroup {
  readonly cells: number;
  readonly unreadable: readonly string[];
  readonly points: readonly ScePoint[];
  /** The name of the figure these points are drawn in (null: none drawn). */
  readonly figure: string | null;
}

/** sce-summary.json. */
export interface SceSummary {
  readonly schema: 1;
  readonly synthetic: boolean;
  readonly note: string | null;
  /** The data the cells trained on ('cifar10', 'fashion-mnist'), null when the stage could not tell. */
  readonly dataset: string | null;
  /** The report section the figures are drawn in. */
  readonly section: string;
  readonly layer: string;
  /** Per group: the cells found, unreadable ones, and the aggregated points. */
  readonly groups: Readonly<Record<string, SceSummaryGroup>>;
  readonly snapshots: readonly { readonly gamma: number; readonly seed: number; readonly cosine: number; readonly cropCosine: number }[];
  /** Fig. 7's curves over training per init scale (mean over seeds): cos(g, H) windowed, and the layer's norm. */
  readonly curves: { readonly fig7?: { readonly signal: readonly SceCurve[]; readonly norm: readonly SceCurve[] } };
  readonly trends: readonly SceTrend[];
}

/** What the figures are labelled with and where they go. */
export interface SceFigureOptions {
  readonly synthetic: boolean;
  readonly layer: string;
  /** The stand-in's note (Fashion-MNIST), put in every caption. */
  readonly note?: string | null;
  readonly dataset?: string | null;
  /** The report section (default `sce`). */
  readonly section?: string;
  /** Put before every figure name (a second family of SCE figures must not reuse the first's names). */
  readonly prefix?: string;
}

const num = (v: unknown, dflt: number): number => (typeof v === 'number' ? v : dflt);
const str = (v: unknown, dflt: string): string => (typeof v === 'string' ? v : dflt);
const gamma = (c: SceCell) => c.metrics!.gamma;

/** The figures and summary for the groups of cells (keyed by the stage's dep names). */
export function sceFigureDefs(groups: Readonly<Record<string, readonly SceCell[]>>, o: SceFigureOptions): { figures: SceFigureDef[]; summary: SceSummary } {
  const { synthetic, layer } = o;
  const prefix = o.prefix ?? '';
  const figs: SceFigureDef[] = [];
  const summaryGroups: Record<string, SceSummaryGroup> = {};
  const allTrends: SceTrend[] = [];
  let fig7Curves: { signal: SceCurve[]; norm: SceCurve[] } | undefined;
  const g = (k: string): readonly SceCell[] => (groups[k] ?? []).filter((c) => c.metrics);
  const note = (k: string, points: ScePoint[], figure: string | null) => {
    summaryGroups[k] = { cells: (groups[k] ?? []).length, unreadable: (groups[k] ?? []).filter((c) => !c.metrics).map((c) => `${c.cell}: ${c.error ?? 'no metrics'}`), points, figure: figure === null ? null : prefix + figure };
  };
  const gTitle = 'weight decay γ';
  const tag = synthetic ? ' Synthetic data: code path only, not evidence.' : o.note ? ` ${o.note}.` : '';

  // Fig. 2
  const snaps = snapshots(g('fig2'));
  if (snaps.length) {
    note('fig2', aggregatePoints(g('fig2'), () => 'fig2', gamma, layer), 'sce-fig2-updates');
    figs.push({ name: 'sce-fig2-updates', figure: '2', caption: `Fig. 2: 20×20 crops of the normalised gradient and Hebbian updates of ${snaps[0]!.snapshot.layer} at the last step, per γ, with the cosine of the whole matrices.${tag}`, spec: snapshotSpec(snaps, { lr: (g('fig2')[0]?.metrics?.lr) ?? null, synthetic }) });
    const f12 = fig12Snapshots(g('fig2'));
    if (f12.length > 0) {
      figs.push({
        name: 'sce-fig12-updates', figure: '12',
        caption: `Fig. 12: 20×20 crops of the normalised gradient and Hebbian updates of ${f12[0]!.snapshot.layer} at γ = ${f12[0]!.gamma} (seed ${f12[0]!.seed}) after the first epoch, at the window's lowest cosine and at the end, with the cosine of the whole matrices: structure shared even where the cosine is low.${tag}`,
        spec: snapshotSpec(f12, { lr: (g('fig2')[0]?.metrics?.lr) ?? null, synthetic, title: `Normalised weight updates of ${f12[0]!.snapshot.layer} over training, γ = ${f12[0]!.gamma}` }),
      });
    }
  }

  // Fig. 3
  for (const [k, series, seriesTitle, name, what] of [
    ['fig3_act', (c: SceCell) => str(c.params.activation, 'tanh'), 'activation', 'sce-fig3-activations', 'activation functions'],
    ['fig3_arch', (c: SceCell) => str(c.params.arch, (c.extras?.hidden ?? []).join('×')), 'hidden sizes', 'sce-fig3-depth-width', 'depths and widths'],
  ] as const) {
    const pts = aggregatePoints(g(k), series, gamma, layer);
    note(k, pts, pts.length ? name : null);
    if (!pts.length) continue;
    allTrends.push(...trends(`3 (${what})`, pts, synthetic));
    figs.push({ name, figure: '3', caption: `Fig. 3: ${layer} alignment at convergence vs γ for different ${what} (mean ± SD over seeds).${tag}`, spec: alignmentLinesSpec(pts, { title: `SCE: alignment vs weight decay across ${what}`, subtitle: `${layer}, mean ± SD over seeds`, xTitle: gTitle, seriesTitle, synthetic }) });
  }

  // Fig. 4
  const f4 = g('fig4');
  if (f4.length) {
    note('fig4', aggregatePoints(f4, (c) => c.metrics!.rule, (c) => c.metrics!.lr, layer), 'sce-fig4-hebbian-rules');
    const label = (c: SceCell) => `${c.metrics!.rule} η=${axisLabel(c.metrics!.lr)}`;
    const rule = curves(f4, label, 'rule', layer);
    const sig = curves(f4, label, 'signal', layer);
    const w = f4[0]!.extras?.curves.window ?? 200;
    figs.push({
      name: 'sce-fig4-hebbian-rules', figure: '4',
      caption: `Fig. 4: SCE trained by Hebbian rules (normalised Hebbian with weight standardisation, Oja; pre/post-activation h_b). Left: cos(actual ${layer} update, SGD learning signal g); right: cos(g, H). Mean ± SD over a ${w}-iteration window, averaged over seeds.${tag}`,
      spec: panels([
        curvesSpec(rule, { title: `${layer} update vs SGD gradient`, subtitle: `cos(ΔW, −∂L/∂W), ${w}-iteration window`, yTitle: 'alignment with SGD', seriesTitle: 'rule, η', synthetic: false, band: true, zeroLine: true }),
        curvesSpec(sig, { title: 'Hebbian alignment of the SGD gradient', subtitle: 'cos(g, H)', yTitle: 'cos(g, H)', seriesTitle: 'rule, η', synthetic: false, band: true, zeroLine: true }),
      ], { title: 'SCE trained by Hebbian rules', subtitle: 'no standard Hebbian rule should align with SGD at convergence (paper: mean → 0)', synthetic }),
    });
  }

  // Fig. 7
  const f7 = g('fig7');
  if (f7.length) {
    note('fig7', aggregatePoints(f7, (c) => axisLabel(num(c.params.init_scale, 1)), gamma, layer, (c) => num(c.params.init_scale, 1)), 'sce-fig7-init-scale');
    const label = (c: SceCell) => `init ×${axisLabel(num(c.params.init_scale, 1))}`;
    const w = f7[0]!.extras?.curves.window ?? 200;
    fig7Curves = { signal: curves(f7, label, 'signal', layer), norm: curves(f7, label, 'norm', layer) };
    figs.push({
      name: 'sce-fig7-init-scale', figure: '7',
      caption: `Fig. 7: initialisation scale at η = ${axisLabel(f7[0]!.metrics!.lr)}: ${layer} Hebbian alignment of the gradient (mean ± SD, ${w}-iteration window) and ${layer}'s norm over training.${tag}`,
      spec: panels([
        curvesSpec(fig7Curves.signal, { title: 'Hebbian alignment', subtitle: `cos(g, H), ${w}-iteration window`, yTitle: 'cos(g, H)', seriesTitle: 'init scale', synthetic: false, band: true, zeroLine: true }),
        curvesSpec(fig7Curves.norm, { title: 'Weight norm', subtitle: `‖${layer}‖ (Frobenius)`, yTitle: `‖${layer}‖`, seriesTitle: 'init scale', synthetic: false, band: false, zeroLine: false }),
      ], { title: 'Initialisation scale vs Hebbian alignment and weight norm', subtitle: `η = ${axisLabel(f7[0]!.metrics!.lr)}`, synthetic }),
    });
  }

  // Figs. 8, 9
  for (const [k, fig, key, yTitle, name] of [
    ['fig8', '8', (c: SceCell) => c.metrics!.batch, 'batch size', 'sce-fig8-batch'],
    ['fig9', '9', (c: SceCell) => c.metrics!.lr, 'learning rate η', 'sce-fig9-lr'],
  ] as const) {
    const cells = g(k);
    const pts = aggregatePoints(cells, (c) => axisLabel(key(c)), gamma, layer, key);
    note(k, pts, pts.length ? name : null);
    if (!pts.length) continue;
    const yOrder = [...new Set(cells.map(key))].sort((a, b) => a - b);
    const o = { xTitle: gTitle, yTitle, yOrder, synthetic: false };
    figs.push({
      name, figure: fig,
      caption: `Fig. ${fig}: test accuracy (left) and ${layer} Hebbian alignment (right) over ${yTitle} × γ (means over seeds; grey: no usable cell, "NaN": diverged).${tag}`,
      spec: panels([
        heatmapSpec(pts, 'acc', { ...o, title: 'Test accuracy', subtitle: 'mean over seeds' }),
        heatmapSpec(pts, 'alignment', { ...o, title: 'Hebbian alignment of the gradient', subtitle: `${layer}, cos(g, H) at convergence` }),
      ], { title: `SCE: ${yTitle} × weight decay`, subtitle: 'best accuracy near the zero-alignment boundary (paper)', synthetic }),
    });
  }

  // Fig. 11
  const l1 = aggregatePoints(g('fig11_l1'), () => 'L1', (c) => num(c.params.l1, 0), layer);
  const l2 = aggregatePoints(g('fig11_l2'), () => 'L2', gamma, layer);
  const bn = aggregatePoints(g('fig11_bn'), () => 'batch norm + L2', gamma, layer);
  const f11Name = l1.length || l2.length || bn.length ? 'sce-fig11-regularisers' : null;
  note('fig11_l1', l1, f11Name);
  note('fig11_l2', l2, f11Name);
  note('fig11_bn', bn, f11Name);
  const f11: VlSpec[] = [];
  const line = (pts: ScePoint[], t: string, x: string) => alignmentLinesSpec(pts, { title: t, subtitle: `${layer}, mean ± SD over seeds`, xTitle: x, seriesTitle: 'regulariser', synthetic: false, width: 240 });
  if (l1.length) f11.push(line(l1, 'L1 weight decay', 'λ₁'));
  if (l2.length) f11.push(line(l2, 'L2 weight decay', gTitle));
  if (bn.length) f11.push(line(bn, 'Batch norm', gTitle));
  allTrends.push(...trends('11 (L1)', l1, synthetic), ...trends('11 (L2)', l2, synthetic), ...trends('11 (batch norm)', bn, synthetic));
  if (f11.length) {
    figs.push({ name: 'sce-fig11-regularisers', figure: '11', caption: `Fig. 11: ${layer} Hebbian alignment at convergence under L1 weight decay, L2 weight decay and batch norm (mean ± SD over seeds).${tag}`, spec: panels(f11, { title: 'SCE: other regularisers', subtitle: 'paper: L1 and L2 can look Hebbian, batch norm anti-Hebbian', synthetic }) });
  }

  return {
    figures: figs.map((f) => ({ ...f, name: prefix + f.name })),
    summary: {
      schema: 1,
      synthetic,
      note: synthetic ? 'synthetic data: code path only, not evidence' : (o.note ?? null),
      dataset: o.dataset ?? null,
      section: o.section ?? 'sce',
      layer,
      groups: summaryGroups,
      snapshots: snaps.map((s) => ({ gamma: s.gamma, seed: s.seed, cosine: s.snapshot.cosine, cropCosine: s.snapshot.cropCosine })),
      curves: fig7Curves ? { fig7: fig7Curves } : {},
      trends: allTrends,
    },
  };
}
