/**
 * The SVG figures (docs/definitions.md §Figures): Vega-Lite specs rendered by vega's headless View. Writes
 * figures/<name>.svg, figures/<name>.vl.json and figures/index.json (the figure protocol,
 * src/report/figures/figure-index.ts), declaring the report sections its figures need. Deps (all optional):
 * `table` (table1), `noise` (noise-grid), `learning` (learning-sweep); every other dep is a
 * source of training cells for the training curves.
 */
import { defineStage } from '../src/stage-api.ts';
import { figuresParamsSchema } from '../src/report/stage-schemas.ts';

export default defineStage({
  params: figuresParamsSchema,
  async run(ctx) {
    const { join } = await import('node:path');
    const { readDepJson, cellInputs } = await import('../src/report/stage-io.ts');
    const { loadCells } = await import('../src/report/aggregate/load-cells.ts');
    const { figureDefs, figureSections } = await import('../src/report/figures/figures.ts');
    const { writeFigures } = await import('../src/report/figures/write-figures.ts');
    type T1 = import('../src/report/aggregate/table1.ts').Table1;
    type NG = import('../src/report/aggregate/noise-grid.ts').NoiseGrids;
    type LS = import('../src/report/aggregate/learning-sweep.ts').LearningSweep;
    const special = ['table', 'noise', 'learning'];
    const inputs = {
      table1: await readDepJson<T1>(ctx.inputs, 'table', 'table1.json'),
      noise: await readDepJson<NG>(ctx.inputs, 'noise', 'noise.json'),
      learning: await readDepJson<LS>(ctx.inputs, 'learning', 'learning.json'),
      cells: ctx.params.curves.length ? await loadCells(cellInputs(ctx.inputs, special)) : [],
      curves: ctx.params.curves,
      curveWindow: ctx.params.curve_window,
    };
    const defs = figureDefs(inputs);
    await writeFigures(join(ctx.outDir, 'figures'), defs, { sections: figureSections(defs, inputs) }, ctx.progress);
    ctx.log(`figures: ${defs.map((d) => d.name).join(', ') || '(none)'}`);
  },
});
