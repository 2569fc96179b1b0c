/**
 * The trend checks (docs/definitions.md §Checks), declared as this stage's `checks` param in pipeline.yaml.
 * Deps: `table` (table1), `noise` (noise-grid), `per_neuron` (per-neuron.json) and one dep per
 * `sce_sources` entry (an sce-figures stage's sce-summary.json); any may be absent. Writes
 * checks.json and checks.junit.xml. The stage itself never fails on a FAIL: `hebb check` turns
 * checks.json into an exit code (src/report/checks/check-output.ts formatCheckReport).
 */
import { z } from 'zod';
import { defineStage } from '../src/stage-api.ts';
import { checkListSchema } from '../src/report/checks/check-schema.ts';
import { SCE_KINDS, sceSourcesSchema } from '../src/report/checks/sce-check-schema.ts';

/** The stage's parameters: the declarations, and the SCE summaries the SCE kinds read (the profile decides which gate). */
export const checkParams = z
  .object({
    checks: checkListSchema,
    sce_sources: sceSourcesSchema.default([{ dep: 'sce', gate: true, suffix: '' }]),
  })
  .strict()
  .superRefine((p, ctx) => {
    // An SCE check gives one result per source, named with its suffix: the names must stay unique.
    const names = p.checks.flatMap((c) => ((SCE_KINDS as readonly string[]).includes(c.kind) ? p.sce_sources.map((s) => c.name + s.suffix) : [c.name]));
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) ctx.addIssue({ code: 'custom', path: ['checks'], message: `check result name '${dup}' appears twice (an SCE check's name plus a source's suffix)` });
  });

export default defineStage({
  params: checkParams,
  async run(ctx) {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { readDepJson } = await import('../src/report/stage-io.ts');
    const { evaluateChecks } = await import('../src/report/checks/checks.ts');
    const { checksJUnit } = await import('../src/report/checks/check-output.ts');
    type T1 = import('../src/report/aggregate/table1.ts').Table1;
    type NG = import('../src/report/aggregate/noise-grid.ts').NoiseGrids;
    type SS = import('../src/report/figures/sce-figures.ts').SceSummary;
    type PN = import('../src/report/aggregate/per-neuron.ts').PerNeuronSummary;
    const table1 = await readDepJson<T1>(ctx.inputs, 'table', 'table1.json');
    const noise = await readDepJson<NG>(ctx.inputs, 'noise', 'noise.json');
    const perNeuron = await readDepJson<PN>(ctx.inputs, 'per_neuron', 'per-neuron.json');
    const sce = await Promise.all(ctx.params.sce_sources.map(async (s) => ({ ...s, summary: await readDepJson<SS>(ctx.inputs, s.dep, 'sce-summary.json') })));
    const res = evaluateChecks(ctx.params.checks, { table1, noise, sce, perNeuron });
    for (const r of res.results) ctx.log(`${r.status} ${r.name}${r.gate ? '' : ' (report only)'}: ${r.why}`);
    await writeFile(join(ctx.outDir, 'checks.json'), JSON.stringify(res, null, 2));
    await writeFile(join(ctx.outDir, 'checks.junit.xml'), checksJUnit(res));
  },
});
