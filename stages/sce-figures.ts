/**
 * Stage: the SCE figures (docs/definitions.md §Figures: Figs. 2, 3, 4, 7, 8, 9, 11) as SVG (Vega-Lite rendered by
 * src/report/figures/render.ts), each next to its .vl.json, plus figures/index.json (the figure protocol:
 * one report section, `sce`) and sce-summary.json
 * (every plotted number, and the γ trends — reported, never gated, and not evaluated at all on
 * synthetic data). Deps: `data` (the cifar10 or fashion-mnist stage: which data, synthetic or a stand-in?) and one dep per
 * figure group (`fig2`, `fig3_act`, `fig3_arch`, `fig4`, `fig7`, `fig8`, `fig9`, `fig11_l1`,
 * `fig11_l2`, `fig11_bn`), each `stage@*`; an absent group draws no figure.
 */
import { z } from 'zod';
import { defineStage } from '../src/stage-api.ts';

/** The stage's parameters. */
export const sceFiguresParams = z
  .object({
    /** The layer whose alignment the figures show (the paper's SCE figures: the 2nd layer). */
    curve_layer: z.string().regex(/^W[1-9][0-9]*$/).default('W2'),
    /** The report section of these figures; a second family of SCE figures (the paper profile's stand-in) needs its own. */
    section: z.string().regex(/^[a-z0-9][a-z0-9-]*$/).default('sce'),
    /** Put before every figure name: figure names must be unique across the report's inputs. */
    name_prefix: z.string().regex(/^([a-z0-9][a-z0-9-]*)?$/).default(''),
  })
  .strict();

export default defineStage({
  params: sceFiguresParams,
  async run(ctx) {
    const { readFile, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { loadCells } = await import('../src/report/aggregate/load-cells.ts');
    const { writeFigures } = await import('../src/report/figures/write-figures.ts');
    const { sceFigureDefs } = await import('../src/report/figures/sce-figures.ts');
    type Extras = import('../src/metrics.ts').SceExtras;
    type Cell = import('../src/report/aggregate/sce.ts').SceCell;
    const { readDatasetMeta } = await import('../src/data/image-dataset.ts');
    const data = ctx.inputs.data?.[0];
    const meta = data ? await readDatasetMeta(data.path) : null;
    const groups: Record<string, Cell[]> = {};
    for (const [dep, inputs] of Object.entries(ctx.inputs)) {
      if (dep === 'data') continue;
      const recs = await loadCells(inputs);
      groups[dep] = await Promise.all(recs.map(async (r, i): Promise<Cell> => {
        let extras: Extras | null = null;
        try {
          extras = JSON.parse(await readFile(join(inputs[i]!.path, 'sce.json'), 'utf8')) as Extras;
        } catch {
          extras = null;
        }
        return { cell: r.cell, params: r.params, metrics: r.metrics, extras, ...(r.error ? { error: r.error } : {}) };
      }));
    }
    // Without the data dep we cannot tell: label as synthetic rather than present it as evidence.
    const synthetic = meta ? meta.synthetic : true;
    const standIn = meta?.dataset === 'fashion-mnist' ? meta.note : null;
    const { section: sectionId, name_prefix: prefix } = ctx.params;
    const { figures, summary } = sceFigureDefs(groups, { synthetic, layer: ctx.params.curve_layer, note: standIn, dataset: meta?.dataset ?? null, section: sectionId, prefix });
    // The report shows these under a section of their own (the figure protocol), labelled when synthetic or a stand-in.
    const section = {
      id: sectionId,
      title: `Classification on ${standIn ? 'Fashion-MNIST, the stand-in for CIFAR-10' : 'CIFAR-10'} (SCE: Figs. 2, 3, 4, 7, 8, 9, 11, 12)`,
      ...(synthetic ? { caveat: 'these figures come from a synthetic CIFAR-format archive: synthetic data: code path only, not evidence. No trend is evaluated on them.' } : {}),
      ...(standIn ? { caveat: `${standIn}: real images (28 × 28 grayscale, input 784), so the trends are evidence about MLP classifiers under weight decay, but not the paper's numbers.` } : {}),
    };
    await writeFigures(join(ctx.outDir, 'figures'), figures.map((d) => ({ ...d, section: sectionId })), { sections: [section], synthetic }, ctx.progress);
    await writeFile(join(ctx.outDir, 'sce-summary.json'), JSON.stringify(summary, null, 1));
    ctx.log(`SCE figures${synthetic ? ' (synthetic data: code path only, not evidence)' : ''}: ${figures.map((d) => d.name).join(', ') || '(none)'}`);
  },
});
