// The smoke-scale trend test of issue 4: the transformer cells of pipeline.yaml's smoke profile,
// run through their stage modules with the params the pipeline gives them, show the Table 1
// pattern the smoke checks gate on — on the teacher's raw targets, SGD's alignment rises from ~0
// at γ = 0 to clearly positive at γ = 5e-3, and Adam collapses at 5e-3. One seed, three cells
// (~20 s): the pipeline's own check covers three seeds.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CellMetrics } from '../src/metrics.ts';
import { expandPipeline, type Cell } from '../src/pipeline/expand.ts';
import { loadPipeline } from '../src/pipeline/load.ts';
import type { CellInput, StageModule } from '../src/stage-api.ts';
import teacherStage from '../stages/teacher-transformer.ts';
import trainStage from '../stages/train-transformer.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function smokeCells(): Map<string, Cell> {
  const loaded = loadPipeline('pipeline.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
  const cells = expandPipeline(loaded.value, 'smoke');
  if (!cells.ok) throw new Error(JSON.stringify(cells.error));
  return new Map(cells.value.map((c) => [c.name, c]));
}

/** Runs `cell` with its stage module into a fresh directory; returns that directory. */
async function run<P>(stage: StageModule<P>, cell: Cell, root: string, inputs: Record<string, CellInput[]> = {}): Promise<string> {
  const outDir = join(root, cell.name.replace(/[@/]/g, '_'));
  await mkdir(outDir);
  await stage.run({ params: stage.params.parse(cell.params), inputs, outDir, cell: cell.name, profile: 'smoke', env: {}, log: () => {}, progress: () => {} });
  return outDir;
}

describe('the smoke-scale transformer trend (raw targets, seed 0)', () => {
  it('SGD rises from ~0 at γ = 0 to clearly positive at 5e-3, and Adam collapses at 5e-3', { timeout: 600_000 } /* three smoke cells; minutes when the 2 cores are shared (287 s at load 12) */, async () => {
    const cells = smokeCells();
    const root = await mkdtemp(join(tmpdir(), 'hebb-trend-'));
    dirs.push(root);
    const teacher = cells.get('transformer-teacher-raw')!;
    expect(teacher.params.standardize_targets).toBe(false);
    const data: CellInput[] = [{ cell: teacher.name, stage: teacher.stage, matrix: {}, params: teacher.params, path: await run(teacherStage, teacher, root) }];
    const metrics = async (name: string): Promise<CellMetrics> => {
      const cell = cells.get(`transformer-table1-raw@${name}`);
      if (!cell) throw new Error(`pipeline.yaml's smoke profile has no cell transformer-table1-raw@${name}`);
      const dir = await run(trainStage, cell, root, { data });
      return JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) as CellMetrics;
    };
    const sgd0 = await metrics('transformer-sgd-0-s0');
    const sgd5e3 = await metrics('transformer-sgd-5e-3-s0');
    const adam5e3 = await metrics('transformer-adam-5e-3-s0');
    const a0 = sgd0.alignment.W2!.signal;
    const a5e3 = sgd5e3.alignment.W2!.signal;
    expect(Math.abs(a0)).toBeLessThan(0.05);
    expect(a5e3).toBeGreaterThan(0.5);
    expect(sgd5e3.status).toBe('ok');
    expect(adam5e3.status).toBe('collapsed');
  });
});
