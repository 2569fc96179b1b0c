/**
 * Params checked against a stage module's schema at load time: an unknown key, however deep (a
 * check's tolerance inside a list), is an error at its own file:line:column with its path, and a
 * camelCase spelling of a snake_case param says which one was meant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../src/pipeline/diagnostic.ts';
import { expandPipeline } from '../src/pipeline/expand.ts';
import { loadPipeline } from '../src/pipeline/load.ts';
import { snakeCase, validateParams } from '../src/pipeline/stage-modules.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A stage whose params nest: a list of checks, each with a tolerance map. */
const NESTED_STAGE = `import { z } from 'zod';
export default {
  params: z.object({
    min_points: z.number().default(4),
    checks: z.array(z.object({ name: z.string(), tolerance: z.object({ min_fraction: z.number(), sd_multiple: z.number().default(1) }).strict() }).strict()).default([]),
  }).strict(),
  async run() {},
};
`;

/** `line:column` (1-based) of the first occurrence of `needle` in `text`. */
function where(text: string, needle: string): string {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`'${needle}' not in text`);
  const before = text.slice(0, i).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

describe('unknown params', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hebb-params-'));
    mkdirSync(join(dir, 'stages'));
    writeFileSync(join(dir, 'stages', 'nested.ts'), NESTED_STAGE);
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The diagnostics of loading `yaml` as the project's pipeline.yaml, formatted, from the file name on. */
  async function problems(yaml: string): Promise<string[]> {
    writeFileSync(join(dir, 'pipeline.yaml'), yaml);
    const loaded = loadPipeline(join(dir, 'pipeline.yaml'));
    if (!loaded.ok) return loaded.error.map(formatDiagnostic);
    const cells = expandPipeline(loaded.value, 'p');
    if (!cells.ok) return cells.error.map(formatDiagnostic);
    return (await validateParams(loaded.value, cells.value, [])).problems.map(formatDiagnostic).map((d) => d.slice(d.indexOf('pipeline.yaml:')));
  }
  const pipeline = (params: string): string => `version: 1\nprofiles: { p: {} }\nstages:\n  s:\n    run: stages/nested.ts\n    params:\n${params}    outs: [x.json]\n`;

  it('accepts snake_case params', async () => {
    expect(await problems(pipeline('      min_points: 5\n      checks:\n        - { name: a, tolerance: { min_fraction: 1 } }\n'))).toEqual([]);
  });

  it('refuses a nested camelCase key at its own place, naming the snake_case one', async () => {
    const yaml = pipeline('      checks:\n        - { name: a, tolerance: { min_fraction: 1 } }\n        - { name: b, tolerance: { minFraction: 1, sdMultiple: 2 } }\n');
    const [p, ...rest] = await problems(yaml);
    expect(rest).toEqual([]);
    expect(p).toBe(
      `pipeline.yaml:${where(yaml, 'minFraction')}: error: stage 's' (cell s): unknown parameters 'checks.1.tolerance.minFraction', 'checks.1.tolerance.sdMultiple'\n` +
        "  fix: did you mean 'min_fraction' (for 'minFraction'), 'sd_multiple' (for 'sdMultiple')? parameters are snake_case",
    );
  });

  it('refuses a top-level camelCase param with the snake_case name', async () => {
    const yaml = pipeline('      minPoints: 5\n');
    expect(await problems(yaml)).toEqual([`pipeline.yaml:${where(yaml, 'minPoints')}: error: stage 's' (cell s): unknown parameter 'minPoints'\n  fix: did you mean 'min_points'? parameters are snake_case`]);
  });

  it('lists the parameters when no snake_case spelling fits', async () => {
    const yaml = pipeline('      minPointz: 5\n');
    expect(await problems(yaml)).toEqual([`pipeline.yaml:${where(yaml, 'minPointz')}: error: stage 's' (cell s): unknown parameter 'minPointz'\n  fix: parameters of stages/nested.ts: min_points, checks`]);
  });

  it('spells keys in snake_case', () => {
    expect(['minFraction', 'minR2', 'bMin', 'riseSdMultiple', 'maxAbsDiff', 'already_snake'].map(snakeCase)).toEqual(['min_fraction', 'min_r2', 'b_min', 'rise_sd_multiple', 'max_abs_diff', 'already_snake']);
  });
});

/** The stages that read training cells and write the report: their params are the ones issue 15 renamed. */
const REPORT_STAGES = ['table1', 'conventions', 'per-neuron', 'noise-grid', 'learning-sweep', 'check', 'figures', 'report', 'sce-figures'];

describe("this project's report params", () => {
  let dir: string;
  beforeAll(() => {
    // A copy of the pipeline files beside the real stage modules and sources.
    dir = mkdtempSync(join(tmpdir(), 'hebb-params-real-'));
    cpSync(join(ROOT, 'pipeline.yaml'), join(dir, 'pipeline.yaml'));
    cpSync(join(ROOT, 'pipeline.d'), join(dir, 'pipeline.d'), { recursive: true });
    for (const d of ['stages', 'src', 'node_modules']) symlinkSync(join(ROOT, d), join(dir, d));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function reportProblems(profile: string): Promise<string[]> {
    const loaded = loadPipeline(join(dir, 'pipeline.yaml'));
    if (!loaded.ok) return loaded.error.map(formatDiagnostic);
    const cells = expandPipeline(loaded.value, profile);
    if (!cells.ok) return cells.error.map(formatDiagnostic);
    const report = cells.value.filter((c) => REPORT_STAGES.includes(c.stage));
    expect(new Set(report.map((c) => c.stage)).size).toBeGreaterThanOrEqual(8);
    return (await validateParams(loaded.value, report, [])).problems.map(formatDiagnostic).map((d) => d.slice(d.indexOf('pipeline.d/')));
  }

  it('are all snake_case and valid in both profiles', async () => {
    for (const file of readdirSync(join(dir, 'pipeline.d'))) expect(readFileSync(join(dir, 'pipeline.d', file), 'utf8')).not.toMatch(/^\s*[a-z]+[A-Z][A-Za-z0-9]*:|[{,] *[a-z]+[A-Z][A-Za-z0-9]*:/m);
    expect(await reportProblems('smoke')).toEqual([]);
    expect(await reportProblems('paper')).toEqual([]);
  });

  it("name, per profile, every classification family whose absence the report must explain (paper: CIFAR-10 and the stand-in; smoke: its subset)", () => {
    const loaded = loadPipeline(join(dir, 'pipeline.yaml'));
    if (!loaded.ok) throw new Error('pipeline does not load');
    const absent = (profile: string) => {
      const cells = expandPipeline(loaded.value, profile);
      if (!cells.ok) throw new Error(`profile ${profile} does not expand`);
      return cells.value.find((c) => c.stage === 'report')!.params.absent_figures as Record<string, { what: string; why: string }>;
    };
    const paper = absent('paper');
    expect(Object.keys(paper)).toEqual(['sce', 'sce_standin']);
    expect(paper.sce_standin!.why).toMatch(/apt-get install dataset-fashion-mnist/);
    expect(paper.sce!.what).toMatch(/CIFAR-10/);
    expect(Object.keys(absent('smoke'))).toEqual(['sce']);
    expect(absent('smoke').sce!.what).toMatch(/Fashion-MNIST subset/);
  });

  it('refuse the old camelCase names at their place, naming the snake_case ones', async () => {
    const file = join(dir, 'pipeline.d', '50-report.yaml');
    const original = readFileSync(file, 'utf8');
    try {
      const edited = original.replace('mismatch_tol: 0.1', 'mismatchTol: 0.1').replace('tolerance: { min_fraction: 1 }', 'tolerance: { minFraction: 1 }');
      writeFileSync(file, edited);
      expect(await reportProblems('smoke')).toEqual([
        `pipeline.d/50-report.yaml:${where(edited, 'mismatchTol')}: error: stage 'table1' (cell table1): unknown parameter 'mismatchTol'\n  fix: did you mean 'mismatch_tol'? parameters are snake_case`,
        `pipeline.d/50-report.yaml:${where(edited, 'minFraction')}: error: stage 'check' (cell check): unknown parameter 'checks.1.tolerance.minFraction'\n  fix: did you mean 'min_fraction'? parameters are snake_case`,
      ]);
    } finally {
      writeFileSync(file, original);
    }
  });
});
