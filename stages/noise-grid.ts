/**
 * The noise grids (docs/definitions.md §Checks, 3-5): per declared grid, (σ, γ) matrices of alignment and
 * validation loss, γ*(σ), the boundary fit γ* = γ₀ + c·σ^b and the naive log-log fit, with the
 * excluded σ and why. Writes noise.json. Deps: sources of training cells; each grid's `select`
 * picks its cells (an absent group gives an empty grid, which the checks SKIP).
 */
import { defineStage } from '../src/stage-api.ts';
import { noiseGridParamsSchema } from '../src/report/stage-schemas.ts';

export default defineStage({
  params: noiseGridParamsSchema,
  async run(ctx) {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { loadCells } = await import('../src/report/aggregate/load-cells.ts');
    const { cellInputs } = await import('../src/report/stage-io.ts');
    const { aggregateNoiseGrid } = await import('../src/report/aggregate/noise-grid.ts');
    const cells = await loadCells(cellInputs(ctx.inputs));
    const grids = ctx.params.grids.map((spec) => aggregateNoiseGrid(cells, spec));
    for (const g of grids) {
      ctx.log(`grid ${g.name}: ${g.nCells} cells, ${g.missing.length} missing, ${g.excluded.length} σ excluded, b = ${g.fit ? g.fit.b.toFixed(3) : 'n/a'}`);
    }
    await writeFile(join(ctx.outDir, 'noise.json'), JSON.stringify({ schema: 1, grids }, null, 2));
  },
});
