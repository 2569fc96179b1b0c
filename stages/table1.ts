/**
 * Table 1 (docs/definitions.md §Table 1): mean ± SD over seeds of the reported layer's alignment per (variant, model,
 * rule, γ), with the paper's values (params.paper) beside ours. Writes table1.json/.csv/.md.
 * Deps: every dep is a source of training cells (e.g. `cells: train-sre@*`); `select` picks the
 * Table 1 cells among them.
 */
import { defineStage } from '../src/stage-api.ts';
import { table1ParamsSchema } from '../src/report/stage-schemas.ts';

export default defineStage({
  params: table1ParamsSchema,
  async run(ctx) {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { loadCells } = await import('../src/report/aggregate/load-cells.ts');
    const { cellInputs } = await import('../src/report/stage-io.ts');
    const { aggregateTable1 } = await import('../src/report/aggregate/table1.ts');
    const { table1Csv, table1Markdown } = await import('../src/report/document/table1-render.ts');
    const cells = await loadCells(cellInputs(ctx.inputs));
    const p = ctx.params;
    const t = aggregateTable1(cells, {
      ...(p.select ? { select: p.select } : {}),
      variant_key: p.variant_key,
      default_variant: p.default_variant,
      ...(p.variant_map ? { variant_map: p.variant_map } : {}),
      ...(p.paper ? { paper: p.paper } : {}),
      ...(p.expect ? { expect: p.expect } : {}),
      stationarity: p.stationarity,
    });
    ctx.log(`table1: ${t.entries.length} entries from ${cells.length} input cells; variants ${t.variants.join(', ') || '(none)'}`);
    await writeFile(join(ctx.outDir, 'table1.json'), JSON.stringify(t, null, 2));
    await writeFile(join(ctx.outDir, 'table1.csv'), table1Csv(t));
    await writeFile(join(ctx.outDir, 'table1.md'), table1Markdown(t, { mismatchTol: p.mismatch_tol }));
  },
});
