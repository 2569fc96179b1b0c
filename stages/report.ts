/**
 * The report (issue 5): report.md and a self-contained report.html (figures inline), verdict
 * first. Deps, all optional: `table` (table1), `noise` (noise-grid), `learning`
 * (learning-sweep), `checks` (check), `conventions` (the conventions study), and any number of figure sources: every input with a
 * figures/index.json (the figure protocol, src/report/figures/figure-index.ts) gives its figures,
 * copied to figures/ so report.md's links work once `repro` publishes to reports/<profile>/.
 * `absent_figures` names the optional figure deps whose absence the report must explain.
 *
 * The cached report is deterministic (no run-specific facts); it also writes report-inputs.json
 * (everything the document was built from) and copies table1.csv, noise.json, checks.json and
 * checks.junit.xml from its deps (empty when a dep is absent), so the published directory is a
 * self-contained reference (`hebb compare`).
 * The `publish` hook re-renders the published copy with the run's provenance (cells, cache hits,
 * times, commit, machine), which only the run that publishes knows.
 */
import { defineStage } from '../src/stage-api.ts';
import { reportParamsSchema } from '../src/report/stage-schemas.ts';

export default defineStage({
  params: reportParamsSchema,
  async run(ctx) {
    const { writeFile, copyFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const os = await import('node:os');
    const { readDepJson } = await import('../src/report/stage-io.ts');
    const { buildReport } = await import('../src/report/document/report.ts');
    const { toHtml, toMarkdown } = await import('../src/report/document/report-doc.ts');
    type T1 = import('../src/report/aggregate/table1.ts').Table1;
    type NG = import('../src/report/aggregate/noise-grid.ts').NoiseGrids;
    type LS = import('../src/report/aggregate/learning-sweep.ts').LearningSweep;
    type CF = import('../src/report/checks/checks.ts').ChecksFile;
    type CS = import('../src/report/aggregate/conventions.ts').ConventionsStudy;
    const { collectFigures } = await import('../src/report/figures/collect-figures.ts');
    // The figure protocol: every input with a figures/index.json is a figure source (dep-name order).
    const collected = await collectFigures(ctx.inputs, join(ctx.outDir, 'figures'), ctx.params.absent_figures);
    for (const line of collected.problems) ctx.log(line);
    const { figures, svgs } = collected;
    const p = ctx.params;
    const inputs = {
      title: p.title,
      profile: ctx.profile,
      table1: await readDepJson<T1>(ctx.inputs, 'table', 'table1.json'),
      noise: await readDepJson<NG>(ctx.inputs, 'noise', 'noise.json'),
      learning: await readDepJson<LS>(ctx.inputs, 'learning', 'learning.json'),
      checks: await readDepJson<CF>(ctx.inputs, 'checks', 'checks.json'),
      conventions: await readDepJson<CS>(ctx.inputs, 'conventions', 'conventions.json'),
      figures,
      svgs,
      provenance: null,
      // report-inputs.json keeps its own (camelCase) field names: `hebb compare` reads published ones.
      mismatchTol: p.mismatch_tol,
      gridNotes: p.grid_notes,
      variantNotes: p.variant_notes,
      local: {
        node: process.version,
        platform: `${os.platform()}/${os.arch()}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown CPU',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      },
    };
    const blocks = buildReport(inputs);
    await writeFile(join(ctx.outDir, 'report-inputs.json'), JSON.stringify({ ...inputs, svgs: undefined }));
    // The machine-readable results beside the document, so a published report is a reference a later
    // run can be compared with (`hebb compare`): Table 1 as CSV, the noise grids with their fits, the checks.
    for (const [dep, file] of [['table', 'table1.csv'], ['noise', 'noise.json'], ['checks', 'checks.json'], ['checks', 'checks.junit.xml']] as const) {
      const src = ctx.inputs[dep]?.[0];
      if (src) await copyFile(join(src.path, file), join(ctx.outDir, file));
      else await writeFile(join(ctx.outDir, file), '');
    }
    await writeFile(join(ctx.outDir, 'report.md'), toMarkdown(blocks));
    await writeFile(join(ctx.outDir, 'report.html'), toHtml(p.title, blocks));
    ctx.log(`report: ${blocks.length} blocks, ${Object.keys(svgs).length} figures`);
  },
  async publish(ctx) {
    const { readFile, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { buildReport } = await import('../src/report/document/report.ts');
    const { toHtml, toMarkdown } = await import('../src/report/document/report-doc.ts');
    type RI = import('../src/report/document/report.ts').ReportInputs;
    const inputs = JSON.parse(await readFile(join(ctx.dir, 'report-inputs.json'), 'utf8')) as RI;
    const svgs: Record<string, string> = {};
    for (const f of inputs.figures?.figures ?? []) {
      try {
        svgs[f.name] = await readFile(join(ctx.dir, 'figures', `${f.name}.svg`), 'utf8');
      } catch {
        /* a figure that failed to render is already reported in the document */
      }
    }
    const blocks = buildReport({ ...inputs, svgs, provenance: ctx.provenance });
    await writeFile(join(ctx.dir, 'provenance.json'), `${JSON.stringify(ctx.provenance, null, 1)}\n`);
    await writeFile(join(ctx.dir, 'report.md'), toMarkdown(blocks));
    await writeFile(join(ctx.dir, 'report.html'), toHtml(inputs.title, blocks));
  },
});
