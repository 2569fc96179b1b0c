import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Rig } from './rig.ts';

const GEN = ['gen@a-s0', 'gen@b-s0', 'gen@a-s1', 'gen@b-s1', 'gen@a-s2', 'gen@b-s2'];

describe('caching and invalidation (real CLI on a toy project)', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = Rig.create();
  });
  afterEach(() => rig.dispose());

  it('runs everything once, then nothing', async () => {
    const first = await rig.hebb(['repro', '-j', '2']);
    expect(first.code, first.stderr).toBe(0);
    expect(rig.runs().sort()).toEqual([...GEN, 'sum'].sort());
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ total: 180, n: 6 });
    expect(rig.read('reports/full/detail/cells.txt').split('\n')).toHaveLength(6);
    rig.clearRuns();
    const second = await rig.hebb(['repro']);
    expect(second.code).toBe(0);
    expect(rig.runs()).toEqual([]);
    expect(second.stderr).toMatch(/0 ran, 7 cached/);
  });

  it('a param change re-runs exactly the affected cells and their downstream, and says why', async () => {
    await rig.hebb(['repro', '-j', '2']);
    rig.clearRuns();
    rig.edit('pipeline.yaml', 'label: total', 'label: sum');
    const status = await rig.hebb(['status', '--json']);
    const entries = JSON.parse(status.stdout).cells as { cell: string; state: string; reasons: string[] }[];
    expect(entries.filter((e) => e.state !== 'cached').map((e) => e.cell)).toEqual(['sum']);
    expect(entries.find((e) => e.cell === 'sum')!.reasons).toContain('params.label total → sum');
    await rig.hebb(['repro']);
    expect(rig.runs()).toEqual(['sum']);

    rig.clearRuns();
    const r = await rig.hebb(['repro', '--set', 'gen.delay_ms=1', '--dry-run']);
    expect(r.stdout).toContain('params.delay_ms 0 → 1');
    expect(rig.runs()).toEqual([]);
  });

  it('a matrix change runs only the new cells; the aggregate sees the new input', async () => {
    await rig.hebb(['repro', '-j', '2']);
    rig.clearRuns();
    rig.edit('pipeline.yaml', 'seeds: [0, 1, 2]', 'seeds: [0, 1, 2, 3]');
    const dry = await rig.hebb(['repro', '--dry-run']);
    expect(dry.stdout).toMatch(/would run gen@a-s3\n\s+never run/);
    await rig.hebb(['repro', '-j', '2']);
    expect(rig.runs().sort()).toEqual(['gen@a-s3', 'gen@b-s3', 'sum']);
    expect(JSON.parse(rig.read('reports/full/sum.json')).n).toBe(8);
  });

  it('code identity: a helper edit invalidates its users only; comments and unrelated files nothing', async () => {
    await rig.hebb(['repro', '-j', '2']);
    rig.clearRuns();
    // Comment-only and whitespace-only edits: nothing is stale.
    rig.edit('stages/lib/helper.ts', '// Shared helper imported by gen only.', '/* reworded comment */\n// another');
    rig.edit('stages/gen.ts', 'await new Promise', '  await   new    Promise');
    // A file nothing imports.
    rig.write('stages/lib/unused.ts', 'export const x = 1;\n');
    let s = await rig.hebb(['status']);
    expect(s.stdout).toContain('7 up to date, 0 to run');
    // A real change in the helper gen imports: gen cells re-run (and sum, since its inputs change).
    rig.edit('stages/lib/helper.ts', "mode === 'a' ? 1 : 2", "mode === 'a' ? 1 : 3");
    s = await rig.hebb(['status']);
    expect(s.stdout).toContain('code: stages/lib/helper.ts changed');
    await rig.hebb(['repro', '-j', '2']);
    expect(rig.runs().sort()).toEqual([...GEN, 'sum'].sort());
    rig.clearRuns();
    // A change in sum's own helper: only sum.
    rig.edit('stages/lib/other.ts', 'a + b', 'b + a');
    await rig.hebb(['repro']);
    expect(rig.runs()).toEqual(['sum']);
  });

  it('a source edit while the run goes on: no result is stored under the old key, the error names the file, the next run uses the new code', async () => {
    // gen@a-s0 edits the helper every gen cell imports (once, while a marker file exists), as a user saving a file mid-run would.
    rig.edit(
      'stages/gen.ts',
      "if (ctx.params.delay_ms > 0)",
      "const marker = join(process.cwd(), 'edit-helper');\n    const fs = await import('node:fs');\n    if (ctx.cell === 'gen@a-s0' && fs.existsSync(marker)) {\n      fs.rmSync(marker);\n      const h = join(process.cwd(), 'stages', 'lib', 'helper.ts');\n      fs.writeFileSync(h, fs.readFileSync(h, 'utf8').replace(\"mode === 'a' ? 1 : 2\", \"mode === 'a' ? 1 : 3\"));\n    }\n    if (ctx.params.delay_ms > 0)",
    );
    rig.write('edit-helper', '');
    const first = await rig.hebb(['repro', '-j', '1']);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/stages\/lib\/helper\.ts changed while the run was going/);
    expect(rig.read('stages/lib/helper.ts')).toContain("mode === 'a' ? 1 : 3");
    const status = JSON.parse((await rig.hebb(['status', '--json'])).stdout).cells as { cell: string; state: string }[];
    expect(status.filter((e) => e.state === 'cached').map((e) => e.cell)).toEqual([]); // nothing stored under the old sources
    rig.clearRuns();
    const second = await rig.hebb(['repro', '-j', '2']);
    expect(second.code, second.stderr).toBe(0);
    expect(rig.runs().sort()).toEqual([...GEN, 'sum'].sort());
    expect(JSON.parse(rig.read('reports/full/sum.json')).total).toBe(60 + 3 * 60); // mode b now × 3
  });

  it('two checkouts sharing one store: a cell left failed by one runs from the other checkout\'s code, not the first one\'s', async () => {
    // The same stage in both checkouts (same key), failing only where a marker file sits beside the project's stages/.
    const guard = "if ((await import('node:fs')).existsSync(join((await import('node:url')).fileURLToPath(import.meta.url), '..', '..', 'fail-here'))) throw new Error('marker');\n    if (ctx.params.delay_ms > 0)";
    const other = Rig.create();
    try {
      for (const r of [rig, other]) r.edit('stages/gen.ts', 'if (ctx.params.delay_ms > 0)', guard);
      rig.write('fail-here', '');
      const store = rig.path('shared-store');
      const first = await rig.hebb(['--artifacts', store, 'repro', '-j', '1', 'gen@a-s0']);
      expect(first.code).toBe(1); // its spec (naming this checkout) stays in the store
      const second = await other.hebb(['--artifacts', store, 'repro', '-j', '1', 'gen@a-s0']);
      expect(second.code, second.stderr).toBe(0);
      expect(other.runs()).toEqual(['gen@a-s0']);
    } finally {
      other.dispose();
    }
  });

  it('early cut-off: an upstream change that gives identical outputs does not re-run downstream', async () => {
    await rig.hebb(['repro', '-j', '2']);
    rig.clearRuns();
    rig.edit('stages/lib/helper.ts', 'return (seed + 1) * scale', 'const s = seed + 1;\n  return s * scale');
    await rig.hebb(['repro', '-j', '2']);
    expect(rig.runs().sort()).toEqual([...GEN].sort());
  });

  it('a corrupted object is detected, quarantined and rebuilt', async () => {
    await rig.hebb(['repro', '-j', '2']);
    rig.clearRuns();
    // gen@b-s2 is the only cell whose value (60) no other cell shares: objects are deduplicated by content.
    const show = JSON.parse((await rig.hebb(['show', 'gen@b-s2', '--json'])).stdout);
    const digest = show.record.outputs[0].digest as string;
    const object = rig.path('artifacts', 'cas', digest.slice(0, 2), digest.slice(2));
    chmodSync(object, 0o644);
    writeFileSync(object, readFileSync(object, 'utf8').replace(/\d/, '9'));
    const r = await rig.hebb(['repro', '-j', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/corrupt gen@b-s2/);
    expect(rig.runs()).toEqual(['gen@b-s2']);
    expect(readdirSync(rig.path('artifacts', 'quarantine'))).toHaveLength(1);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ total: 180, n: 6 });
  });

  it('keep-going: independent cells finish after a failure; the run exits 1 with a summary and a log', async () => {
    rig.edit('stages/gen.ts', 'if (ctx.params.fail)', "if (ctx.params.fail || ctx.cell === 'gen@b-s1')");
    const r = await rig.hebb(['repro', '-j', '2']);
    expect(r.code).toBe(1);
    expect(rig.runs().filter((c) => c.startsWith('gen')).sort()).toEqual([...GEN].sort());
    expect(r.stderr).toMatch(/FAILED\s+gen@b-s1: asked to fail/);
    expect(r.stderr).toMatch(/skipped sum \(upstream gen@b-s1 failed\)/);
    expect(r.stderr).toMatch(/5 ran, 0 cached, 1 failed, 1 skipped/);
    const log = /log: (\S+)/.exec(r.stderr)![1]!;
    expect(readFileSync(log, 'utf8')).toMatch(/asked to fail/);
    // No record for the failed cell: the next run retries it (and only what is missing).
    rig.edit('stages/gen.ts', "|| ctx.cell === 'gen@b-s1'", '');
    rig.clearRuns();
    const again = await rig.hebb(['repro']);
    expect(again.code).toBe(0);
    expect(rig.runs().sort()).toEqual(['gen@a-s0', 'gen@a-s1', 'gen@a-s2', 'gen@b-s0', 'gen@b-s1', 'gen@b-s2', 'sum'].filter((c) => rig.runs().includes(c)).sort());
  });

  it('an optional dep (`stage@*?`) lets a cell run without the upstream cells that failed', async () => {
    rig.edit('pipeline.yaml', 'values: gen@*', 'values: gen@*?');
    // Fail one cell through a marker file, so that the code (and every key) stays the same between runs.
    rig.edit('stages/gen.ts', 'if (ctx.params.fail)', "if (ctx.params.fail || (await import('node:fs')).existsSync(join(process.cwd(), `fail-${ctx.cell}`)))");
    rig.write('fail-gen@b-s2', '');
    const r = await rig.hebb(['repro', '-j', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAILED\s+gen@b-s2/);
    expect(r.stderr).toMatch(/done\s+sum/);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ total: 120, n: 5 });
    // Once the upstream cell succeeds, the optional input is there and the cell runs again.
    rmSync(rig.path('fail-gen@b-s2'));
    rig.clearRuns();
    expect((await rig.hebb(['repro', '-j', '2'])).code).toBe(0);
    expect(rig.runs().sort()).toEqual(['gen@b-s2', 'sum']);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ total: 180, n: 6 });
  });

  it('--without leaves cells out on purpose: optional dependents run without them, cells that need them are left out too, nothing counts as failed', async () => {
    // A required dep: sum cannot run without the left-out cell, so it is left out too, says why, and nothing failed.
    const strict = await rig.hebb(['repro', '-j', '2', '--without', 'gen@b-s2']);
    expect(strict.code).toBe(0);
    expect(rig.runs()).not.toContain('gen@b-s2');
    expect(rig.runs()).not.toContain('sum');
    expect(strict.stderr).toMatch(/leaving out 2 cells \(--without gen@b-s2, and what needs them\): gen ×1, sum ×1/);
    expect(strict.stderr).toMatch(/5 cells: 5 ran, 0 cached, 0 failed, 0 skipped, 2 left out \(--without\)/);
    // An optional dep: sum runs on what is there, and the run is a success.
    rig.edit('pipeline.yaml', 'values: gen@*', 'values: gen@*?');
    rig.clearRuns();
    const partial = await rig.hebb(['repro', '-j', '2', '--without', 'gen@b-s2']);
    expect(partial.code).toBe(0);
    expect(rig.runs()).toEqual(['sum']);
    expect(partial.stderr).toMatch(/6 cells: 1 ran, 5 cached, 0 failed, 0 skipped, 1 left out/);
    // status plans the same way: with the same --without, everything is up to date; without it, sum is stale.
    const st = await rig.hebb(['status', '--without', 'gen@b-s2']);
    expect(st.stdout).toMatch(/profile full: 6 cells, 6 up to date, 0 to run/);
    expect((await rig.hebb(['status'])).stdout).toMatch(/7 cells, 5 up to date, 2 to run/);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ total: 120, n: 5 });
    // Without --without the left-out cell runs, and sum again with all six.
    rig.clearRuns();
    expect((await rig.hebb(['repro', '-j', '2'])).code).toBe(0);
    expect(rig.runs().sort()).toEqual(['gen@b-s2', 'sum']);
    // A whole stage can be named; an unknown name is bad input (exit 2), nothing runs.
    rig.clearRuns();
    const bad = await rig.hebb(['repro', '--without', 'nope']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--without nope: no such stage or cell/);
    expect(rig.runs()).toEqual([]);
  });

  it('profiles expand to different grids and cache separately', async () => {
    const r = await rig.hebb(['repro', '--profile', 'small']);
    expect(r.code).toBe(0);
    expect(rig.runs().sort()).toEqual(['gen@a-s0', 'gen@b-s0', 'sum']);
    expect(JSON.parse(rig.read('reports/small/sum.json'))).toEqual({ total: 3, n: 2 });
  });
});
