/**
 * The trend checks (docs/definitions.md §Checks), declared as this stage's `checks` param in pipeline.yaml.
 * Deps: `table` (table1) and `noise` (noise-grid), either may be absent. Writes checks.json and
 * checks.junit.xml. The stage itself never fails on a FAIL: `hebb check` turns checks.json into an
 * exit code (src/report/checks/check-output.ts formatCheckReport).
 */
import { z } from 'zod';
import { defineStage } from '../src/stage-api.ts';
import { checkListSchema } from '../src/report/checks/check-schema.ts';

export default defineStage({
  params: z.object({ checks: checkListSchema }).strict(),
  async run(ctx) {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { readDepJson } = await import('../src/report/stage-io.ts');
    const { evaluateChecks } = await import('../src/report/checks/checks.ts');
    const { checksJUnit } = await import('../src/report/checks/check-output.ts');
    type T1 = import('../src/report/aggregate/table1.ts').Table1;
    type NG = import('../src/report/aggregate/noise-grid.ts').NoiseGrids;
    const table1 = await readDepJson<T1>(ctx.inputs, 'table', 'table1.json');
    const noise = await readDepJson<NG>(ctx.inputs, 'noise', 'noise.json');
    const res = evaluateChecks(ctx.params.checks, { table1, noise });
    for (const r of res.results) ctx.log(`${r.status} ${r.name}: ${r.why}`);
    await writeFile(join(ctx.outDir, 'checks.json'), JSON.stringify(res, null, 2));
    await writeFile(join(ctx.outDir, 'checks.junit.xml'), checksJUnit(res));
  },
});
