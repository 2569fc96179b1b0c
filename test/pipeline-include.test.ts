import { rmSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Rig } from './rig.ts';

/**
 * include: and extends: through the real CLI, on the toy project split into pipeline.yaml and
 * pipeline.d/*.yaml: the cells are those of the single file, and every malformed input is an
 * error in the file that holds it (its own line and column) with a fix, before anything runs.
 */
const TOP = `version: 1
default_profile: full
include: pipeline.d/*.yaml
`;
const GEN = `profiles:
  full:
    seeds: [0, 1, 2]
    scale: 10
  small:
    seeds: [0]
    scale: 1
templates:
  toy:
    params:
      scale: \${profile.scale}
      delay_ms: 0
    outs: [value.json]
stages:
  gen:
    extends: toy
    run: stages/gen.ts
    matrix:
      seed: \${profile.seeds}
      mode: [a, b]
    name: \${mode}-s\${seed}
`;
const SUM = `stages:
  sum:
    run: stages/sum.ts
    deps:
      values: gen@*
    params:
      label: total
    outs: [sum.json, detail/]
    publish: reports/\${profile.name}/
`;

/** `line:column` (1-based) of the first occurrence of `needle` in `text`. */
function where(text: string, needle: string): string {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`'${needle}' not in text`);
  const before = text.slice(0, i).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

describe('include: and templates', () => {
  let rig: Rig;
  let single: string;
  beforeAll(() => {
    rig = Rig.create();
    single = rig.read('pipeline.yaml');
  });
  afterAll(() => rig.dispose());
  beforeEach(() => {
    rmSync(rig.path('pipeline.d'), { recursive: true, force: true });
    rig.write('pipeline.yaml', TOP);
    rig.write('pipeline.d/10-gen.yaml', GEN);
    rig.write('pipeline.d/20-sum.yaml', SUM);
    rig.clearRuns();
  });

  /** Runs `repro --dry-run` and expects a configuration error matching `expected`. */
  async function refused(expected: RegExp): Promise<string> {
    const r = await rig.hebb(['repro', '--dry-run']);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr).toMatch(/nothing was run/);
    expect(r.code).toBe(2);
    expect(rig.runs()).toEqual([]);
    return r.stderr;
  }

  it('gives the cells and keys of the same pipeline written as one file', async () => {
    const split = await rig.hebb(['status', '--json', '--profile', 'full']);
    expect(split.code, split.stderr).toBe(0);
    rig.write('pipeline.yaml', single);
    rmSync(rig.path('pipeline.d'), { recursive: true });
    const one = await rig.hebb(['status', '--json', '--profile', 'full']);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(split.stdout)).toEqual(JSON.parse(one.stdout));
    expect((JSON.parse(split.stdout) as { cells: unknown[] }).cells).toHaveLength(7);
  });

  it('runs the merged pipeline', async () => {
    const r = await rig.hebb(['repro', '--profile', 'small']);
    expect(r.code, r.stderr).toBe(0);
    expect(rig.runs().sort()).toEqual(['gen@a-s0', 'gen@b-s0', 'sum']);
  });

  it('places an error inside an included file at its own line', async () => {
    const bad = SUM.replace('    outs: [sum.json, detail/]', '    parms: {}\n    outs: [sum.json, detail/]');
    rig.write('pipeline.d/20-sum.yaml', bad);
    await refused(new RegExp(`pipeline\\.d/20-sum\\.yaml:${where(bad, 'parms')}: error: unknown key 'parms' in stages\\.sum\\n\\s+fix: expected one of: description, run,`));
  });

  it('places a YAML syntax error in an included file', async () => {
    rig.write('pipeline.d/10-gen.yaml', GEN.replace('seeds: [0, 1, 2]', 'seeds: [0, 1, 2'));
    await refused(/pipeline\.d\/10-gen\.yaml:\d+:\d+: error: YAML syntax/);
  });

  it('refuses a missing included file, at the include: entry', async () => {
    const top = 'version: 1\ninclude:\n  - pipeline.d/10-gen.yaml\n  - pipeline.d/15-missing.yaml\n  - pipeline.d/20-sum.yaml\n';
    rig.write('pipeline.yaml', top);
    await refused(/^pipeline\.yaml:4:5: error: included file not found: pipeline\.d\/15-missing\.yaml\n\s+fix: create the file, or remove it from include:/m);
  });

  it('refuses a glob that matches no file', async () => {
    rig.write('pipeline.yaml', TOP.replace('pipeline.d/*.yaml', 'pipeline.d/*.yml'));
    await refused(/pipeline\.yaml:3:1: error: include 'pipeline\.d\/\*\.yml' matches no file\n\s+fix: add a file that matches it in pipeline\.d\/, or fix the pattern/);
  });

  it('refuses nested includes, and a file that includes itself', async () => {
    rig.write('pipeline.d/20-sum.yaml', `include: pipeline.d/10-gen.yaml\n${SUM}`);
    await refused(/pipeline\.d\/20-sum\.yaml:1:1: error: includes do not nest: an included file cannot have include:\n\s+fix: list the files in pipeline\.yaml's include: instead/);
    rig.write('pipeline.d/20-sum.yaml', SUM);
    rig.write('pipeline.yaml', 'version: 1\ninclude: [pipeline.yaml, pipeline.d/10-gen.yaml, pipeline.d/20-sum.yaml]\n');
    await refused(/pipeline\.yaml:2:11: error: include 'pipeline\.yaml' names pipeline\.yaml itself/);
  });

  it('refuses a stage defined in two files, naming both places', async () => {
    rig.write('pipeline.d/30-again.yaml', 'stages:\n  gen:\n    run: stages/gen.ts\n    outs: [value.json]\n');
    await refused(new RegExp(`pipeline\\.d/30-again\\.yaml:2:3: error: stage 'gen' is already defined at pipeline\\.d/10-gen\\.yaml:${where(GEN, 'gen:')}`));
  });

  it('refuses an unknown template at its extends:', async () => {
    const bad = GEN.replace('extends: toy', 'extends: tyo');
    rig.write('pipeline.d/10-gen.yaml', bad);
    await refused(new RegExp(`pipeline\\.d/10-gen\\.yaml:${where(bad, 'extends')}: error: unknown template 'tyo'\\n\\s+fix: one of: toy`));
  });

  it('refuses a template cycle', async () => {
    const bad = GEN.replace('  toy:\n', '  base:\n    extends: toy\n  toy:\n    extends: base\n');
    rig.write('pipeline.d/10-gen.yaml', bad);
    await refused(/pipeline\.d\/10-gen\.yaml:\d+:5: error: template cycle: (toy → base → toy|base → toy → base)\n\s+fix: remove one of these extends:/);
  });

  it('places a problem a stage inherits at the template', async () => {
    const bad = GEN.replace('      delay_ms: 0', '      delay_ms: 0\n      dleay: 1');
    rig.write('pipeline.d/10-gen.yaml', bad);
    await refused(new RegExp(`pipeline\\.d/10-gen\\.yaml:${where(bad, 'dleay')}: error: stage 'gen' \\(cell gen@a-s0\\): unknown parameter 'dleay'`));
  });
});
