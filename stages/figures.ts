/**
 * The SVG figures (docs/definitions.md §Figures): Vega-Lite specs rendered by vega's headless View. Writes
 * figures/<name>.svg, figures/<name>.vl.json and figures/index.json. Deps (all optional):
 * `table` (table1), `noise` (noise-grid), `learning` (learning-sweep); every other dep is a
 * source of training cells for the training curves.
 */
import { defineStage } from '../src/stage-api.ts';
import { figuresParamsSchema } from '../src/report/stage-schemas.ts';

export default defineStage({
  params: figuresParamsSchema,
  async run(ctx) {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { readDepJson, cellInputs } = await import('../src/report/stage-io.ts');
    const { loadCells } = await import('../src/report/aggregate/load-cells.ts');
    const { figureDefs } = await import('../src/report/figures/figures.ts');
    const { renderSvg, rendererVersions } = await import('../src/report/figures/render.ts');
    type T1 = import('../src/report/aggregate/table1.ts').Table1;
    type NG = import('../src/report/aggregate/noise-grid.ts').NoiseGrids;
    type LS = import('../src/report/aggregate/learning-sweep.ts').LearningSweep;
    const special = ['table', 'noise', 'learning'];
    const defs = figureDefs({
      table1: await readDepJson<T1>(ctx.inputs, 'table', 'table1.json'),
      noise: await readDepJson<NG>(ctx.inputs, 'noise', 'noise.json'),
      learning: await readDepJson<LS>(ctx.inputs, 'learning', 'learning.json'),
      cells: ctx.params.curves.length ? await loadCells(cellInputs(ctx.inputs, special)) : [],
      curves: ctx.params.curves,
      curveWindow: ctx.params.curveWindow,
    });
    const dir = join(ctx.outDir, 'figures');
    await mkdir(dir, { recursive: true });
    let done = 0;
    for (const d of defs) {
      await writeFile(join(dir, `${d.name}.vl.json`), JSON.stringify(d.spec, null, 1));
      await writeFile(join(dir, `${d.name}.svg`), await renderSvg(d.spec));
      ctx.progress(++done, defs.length);
    }
    const index = { schema: 1, figures: defs.map(({ name, caption, section }) => ({ name, caption, section })), renderer: rendererVersions() };
    await writeFile(join(dir, 'index.json'), JSON.stringify(index, null, 2));
    ctx.log(`figures: ${defs.map((d) => d.name).join(', ') || '(none)'}`);
  },
});
