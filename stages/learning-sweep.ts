/**
 * Ours (docs/definitions.md §Beyond the paper): alignment vs the amount of learning η × T, per (rule, γ). Writes learning.json.
 * Deps: sources of training cells; `select` picks the sweep's cells (none: an empty sweep).
 */
import { defineStage } from '../src/stage-api.ts';
import { learningSweepParamsSchema } from '../src/report/stage-schemas.ts';

export default defineStage({
  params: learningSweepParamsSchema,
  async run(ctx) {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { loadCells } = await import('../src/report/aggregate/load-cells.ts');
    const { cellInputs } = await import('../src/report/stage-io.ts');
    const { aggregateLearningSweep } = await import('../src/report/aggregate/learning-sweep.ts');
    const sweep = aggregateLearningSweep(await loadCells(cellInputs(ctx.inputs)), ctx.params.select);
    ctx.log(`learning sweep: ${sweep.points.length} points`);
    await writeFile(join(ctx.outDir, 'learning.json'), JSON.stringify(sweep, null, 2));
  },
});
