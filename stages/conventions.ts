/**
 * The conventions study (docs/conventions.md): aggregates the `conventions-*` training stages'
 * cells like Table 1 (each stage one reading), sets them beside the baseline variant of
 * table1.json and the paper's values it carries, and writes conventions.json and the report
 * section conventions.md. Deps: `table` (the table1 stage) and one optional dep per reading stage.
 */
import { z } from 'zod';
import { defineStage } from '../src/stage-api.ts';
import type { Table1 } from '../src/report/aggregate/table1.ts';

const params = z.object({
  /** The Table 1 variant the readings change one convention of. */
  baseline: z.string().min(1).default('stated'),
  /** Reading stage → how the report names it. */
  readings: z.record(z.string(), z.string()),
  /** The paper-agreement tolerance: |ours − paper| ≤ max(max_abs_diff, sd_multiple × paper SD). */
  max_abs_diff: z.number().nonnegative().default(0.1),
  sd_multiple: z.number().nonnegative().default(2),
}).strict();

export default defineStage({
  params,
  async run(ctx) {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { loadCells } = await import('../src/report/aggregate/load-cells.ts');
    const { cellInputs, readDepJson } = await import('../src/report/stage-io.ts');
    const { aggregateTable1 } = await import('../src/report/aggregate/table1.ts');
    const { conventionsStudy } = await import('../src/report/aggregate/conventions.ts');
    const { conventionsSection } = await import('../src/report/document/conventions-render.ts');
    const { toMarkdown } = await import('../src/report/document/report-doc.ts');
    const p = ctx.params;
    const table = await readDepJson<Table1>(ctx.inputs, 'table', 'table1.json');
    if (!table) throw new Error("conventions: the 'table' dep (the table1 stage's table1.json) is missing");
    const cells = await loadCells(cellInputs(ctx.inputs, ['table']));
    const readings = aggregateTable1(cells, { variant_key: 'stage', variant_map: p.readings, ...(table.paper ? { paper: table.paper } : {}) });
    const entries = [...table.entries.filter((e) => e.variant === p.baseline), ...readings.entries];
    const labels = Object.values(p.readings);
    const study = conventionsStudy(entries, p.baseline, labels.filter((l) => readings.variants.includes(l)), p);
    const paperRow = (model: string, rule: string) => table.paper?.rows.find((r) => r.model === model && r.rule === rule)?.mean ?? null;
    await writeFile(join(ctx.outDir, 'conventions.json'), JSON.stringify(study, null, 2));
    await writeFile(join(ctx.outDir, 'conventions.md'), toMarkdown(conventionsSection(study, paperRow)));
    ctx.log(`conventions: ${readings.variants.length} readings from ${cells.length} cells; ${study.verdicts.length} baseline entries miss the paper, ${study.verdicts.filter((v) => v.reproducedBy.length > 0).length} reproduced by some reading`);
  },
});
