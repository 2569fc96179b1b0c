// Issue 11, items 9 and 12 (the matrix cap): loader gaps and the cell limit, through the real CLI.
// Each case is bad input: exit 2, the place (file:line:col or the flag) and a fix, nothing run.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rig } from './rig.ts';
import { expandPipeline } from '../src/pipeline/expand.ts';
import { loadPipeline, type LoadedPipeline } from '../src/pipeline/load.ts';

const BOMB = ['x1: &a [l, l, l, l, l, l, l, l, l]', 'x2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'x3: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'x4: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]', 'x5: [*d, *d, *d, *d, *d, *d, *d, *d, *d]'].join('\n');

describe('loader gaps (issue 11, item 9)', () => {
  let rig: Rig;
  let original: string;
  beforeAll(() => {
    rig = Rig.create();
    original = rig.read('pipeline.yaml');
  });
  afterAll(() => rig.dispose());

  const cases: Array<{ name: string; edit?: (y: string) => string; bytes?: (y: string) => Buffer; args?: string[]; expect: RegExp }> = [
    { name: 'a YAML alias bomb', edit: (y) => `${y}${BOMB}\n`, expect: /pipeline\.yaml:\d+:\d+: error: YAML aliases expand to more than 100 copies[^\n]*\n\s+fix: write the repeated values out/ },
    { name: 'an alias to no anchor', edit: (y) => y.replace('delay_ms: 0', 'delay_ms: *nowhere'), expect: /pipeline\.yaml:19:17: error: YAML alias \*nowhere refers to no anchor set before it\n\s+fix: define &nowhere earlier/ },
    { name: '--set x.y=[', args: ['--set', 'gen.delay_ms=['], expect: /--set: error: --set gen\.delay_ms=\[: the value is not valid YAML \(Flow sequence must end with a \], at character 2\)\n\s+fix: quote the value to pass it as text: --set 'gen\.delay_ms="\["'/ },
    { name: '--set x.y=*a', args: ['--set', 'gen.delay_ms=*a'], expect: /--set: error: --set gen\.delay_ms=\*a: YAML alias \*a refers to no anchor set before it\n\s+fix: quote the value/ },
    { name: 'an unclosed ${', edit: (y) => y.replace('label: total', 'label: total-${profile.scale'), expect: /pipeline\.yaml:26:7: error: unclosed reference in "total-\$\{profile\.scale": '\$\{' at character 7 has no closing '\}'\n\s+fix: write a reference as/ },
    { name: 'an empty ${}', edit: (y) => y.replace('label: total', 'label: x${}y'), expect: /pipeline\.yaml:26:7: error: empty reference \$\{\} in "x\$\{\}y"\n\s+fix: write a reference as/ },
    { name: 'an unclosed ${ in a cell name', edit: (y) => y.replace('name: ${mode}-s${seed}', 'name: ${mode-s${seed}'), expect: /pipeline\.yaml:16:5: error: nested reference in "\$\{mode-s\$\{seed\}"/ },
    { name: 'non-UTF-8 bytes', bytes: (y) => Buffer.concat([Buffer.from(y.replace('label: total', 'label: tot')), Buffer.from([0x23, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x0a])]), expect: /pipeline\.yaml:29:6: error: invalid UTF-8: byte 0xe9 at offset \d+ is not part of a UTF-8 character\n\s+fix: save the file as UTF-8/ },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      if (c.bytes) writeFileSync(rig.path('pipeline.yaml'), c.bytes(original));
      else rig.write('pipeline.yaml', c.edit ? c.edit(original) : original);
      const r = await rig.hebb(['repro', ...(c.args ?? [])]);
      expect(r.stderr).toMatch(c.expect);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/nothing was run/);
      expect(rig.runs()).toEqual([]);
    });
  }
});

describe('the matrix cap (issue 11, item 12)', () => {
  let rig: Rig;
  let original: string;
  beforeAll(() => {
    rig = Rig.create();
    original = rig.read('pipeline.yaml');
  });
  afterAll(() => rig.dispose());
  const wide = (y: string): string =>
    y.replace('seeds: [0, 1, 2]', `seeds: [${Array.from({ length: 1000 }, (_, i) => i).join(', ')}]`).replace('mode: [a, b]', `mode: [${Array.from({ length: 1000 }, (_, i) => `m${i}`).join(', ')}]`);

  it('a matrix of 10^6 cells is refused within a second, exit 2, with the place and the fix', async () => {
    rig.write('pipeline.yaml', wide(original));
    const r = await rig.hebb(['repro']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/pipeline\.yaml:13:5: error: stage 'gen' expands to 1,000,000 cells \(seed 1000 × mode 1000\): more than the limit of 100,000 cells per profile\n\s+fix: shrink the matrix, or raise the limit with limits: \{ max_cells: N \}/);
    expect(rig.runs()).toEqual([]);
    // The refusal itself, timed in-process (the CLI's start-up depends on the machine's load).
    const loaded = loadPipeline(rig.path('pipeline.yaml'));
    expect(loaded.ok).toBe(true);
    const t0 = performance.now();
    const cells = expandPipeline((loaded as { value: LoadedPipeline }).value, 'full');
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(cells.ok).toBe(false);
  }, 120_000);

  it('limits.max_cells configures the cap', async () => {
    rig.write('pipeline.yaml', `limits: { max_cells: 5 }\n${original}`);
    const r = await rig.hebb(['repro', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stage 'gen' expands to 6 cells \(seed 3 × mode 2\): more than the limit of 5 cells per profile/);
    rig.write('pipeline.yaml', `limits: { max_cells: 7 }\n${original}`);
    const ok = await rig.hebb(['repro', '--dry-run']);
    expect(ok.code, ok.stderr).toBe(0);
  });
});

const MESSY = `import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
export default {
  params: z.object({}).strict(),
  async run(ctx: { outDir: string }) {
    writeFileSync(join(ctx.outDir, 'value.json'), '{"v": 1}');
    mkdirSync(join(ctx.outDir, 'figures'));
    writeFileSync(join(ctx.outDir, 'figures', 'a.svg'), '<svg/>');
    writeFileSync(join(ctx.outDir, 'scratch.tmp'), 'left behind');
    mkdirSync(join(ctx.outDir, 'checkpoints'));
    writeFileSync(join(ctx.outDir, 'checkpoints', 'step1.bin'), 'x');
  },
};
`;

describe('undeclared outputs (issue 11, item 14)', () => {
  let rig: Rig;
  beforeAll(() => {
    rig = Rig.create();
    rig.write('stages/messy.ts', MESSY);
    rig.edit('pipeline.yaml', 'stages:\n', 'stages:\n  messy:\n    run: stages/messy.ts\n    outs: [value.json, figures/]\n');
  });
  afterAll(() => rig.dispose());

  it('files a stage leaves without declaring them are dropped with a warning, never stored', async () => {
    const r = await rig.hebb(['repro', '--plain', 'messy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/done {4}messy .*\n\s+warning: messy left 2 undeclared files in its output directory: checkpoints\/, scratch\.tmp; not stored \(declare them in the stage's outs: to keep them\)/);
    const key = (JSON.parse(rig.read('artifacts/index/full/messy.json')) as { key: string }).key;
    const record = JSON.parse(rig.read(`artifacts/runs/${key}.json`)) as { outputs: { path: string }[]; log: string };
    expect(record.outputs.map((o) => o.path)).toEqual(['figures/a.svg', 'value.json']);
    // The cell's log says so too.
    const log = rig.read(`artifacts/cas/${record.log.slice(0, 2)}/${record.log.slice(2)}`);
    expect(log).toMatch(/# warning: messy left 2 undeclared files/);
  });
});
