import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rig } from './rig.ts';

/** Each malformed pipeline.yaml gives its own specific error, with file:line:col, and runs nothing. */
describe('malformed pipeline.yaml', () => {
  let rig: Rig;
  let original: string;
  beforeAll(() => {
    rig = Rig.create();
    original = rig.read('pipeline.yaml');
  });
  afterAll(() => rig.dispose());

  const cases: Array<{ name: string; edit: (y: string) => string; expect: RegExp; args?: string[] }> = [
    { name: 'YAML syntax', edit: (y) => y.replace('seeds: [0, 1, 2]', 'seeds: [0, 1, 2'), expect: /pipeline\.yaml:\d+:\d+: error: YAML syntax/ },
    { name: 'unknown stage key', edit: (y) => y.replace('    outs: [value.json]', '    outs: [value.json]\n    parms: {}'), expect: /pipeline\.yaml:21:5: error: unknown key 'parms' in stages\.gen\n\s+fix: expected one of: description, run, params/ },
    { name: 'unknown top-level key', edit: (y) => `${y}\nstagez: {}\n`, expect: /pipeline\.yaml:\d+:1: error: unknown key 'stagez' in the top level/ },
    { name: 'wrong type', edit: (y) => y.replace('    outs: [value.json]', '    outs: value.json'), expect: /pipeline\.yaml:20:5: error: stages\.gen\.outs: expected array, got string "value\.json"/ },
    { name: 'missing run', edit: (y) => y.replace('    run: stages/sum.ts\n', ''), expect: /error: stages\.sum\.run: expected string, got nothing \(the key is missing\)/ },
    { name: 'unknown dep', edit: (y) => y.replace('values: gen@*', 'values: genn@*'), expect: /pipeline\.yaml:24:7: error: dep 'values' names unknown stage 'genn'\n\s+fix: one of: gen, sum/ },
    { name: 'unknown profile variable', edit: (y) => y.replace('scale: ${profile.scale}', 'scale: ${profile.scael}'), expect: /pipeline\.yaml:18:7: error: unknown profile variable: \$\{profile\.scael\} has no 'scael' under 'profile' \(have: name, seeds, scale\)/ },
    { name: 'unknown matrix variable in name', edit: (y) => y.replace('name: ${mode}-s${seed}', 'name: ${mod}-s${seed}'), expect: /pipeline\.yaml:16:5: error: unknown variable 'mod'/ },
    { name: 'cycle', edit: (y) => y.replace('    outs: [value.json]', '    deps: { back: sum }\n    outs: [value.json]'), expect: /error: dependency cycle: gen → sum → gen/ },
    { name: 'missing module', edit: (y) => y.replace('run: stages/sum.ts', 'run: stages/summ.ts'), expect: /pipeline\.yaml:22:5: error: stage module not found: stages\/summ\.ts/ },
    { name: 'unknown parameter', edit: (y) => y.replace('label: total', 'label: total\n      lable: x'), expect: /pipeline\.yaml:27:7: error: stage 'sum' \(cell sum\): unknown parameter 'lable'\n\s+fix: parameters of stages\/sum\.ts: label/ },
    { name: 'mistyped parameter', edit: (y) => y.replace('delay_ms: 0', 'delay_ms: soon'), expect: /error: stage 'gen' \(cell gen@a-s0\): parameter 'delay_ms': Invalid input: expected number, received string/ },
    { name: 'unknown profile', edit: (y) => y, args: ['--profile', 'huge'], expect: /error: unknown profile 'huge' \(have: full, small\)/ },
    { name: 'unknown --set parameter', edit: (y) => y, args: ['--set', 'sum.lable=1'], expect: /--set: error: --set sum\.lable=1: unknown parameter 'lable' for stage 'sum'/ },
    { name: 'unknown --set stage', edit: (y) => y, args: ['--set', 'summ.label=1'], expect: /--set summ\.label=1: unknown stage 'summ'/ },
    { name: 'plain dep on a matrix stage', edit: (y) => y.replace('values: gen@*', 'values: gen'), expect: /error: stage 'gen' has a matrix: name one cell \(gen@<name>\) or all of them \(gen@\*\)/ },
    {
      name: 'dep through the profile naming an unknown stage in one profile',
      edit: (y) => y.replace('    scale: 10\n', '    scale: 10\n    upstream: gen\n').replace('    scale: 1\n', '    scale: 1\n    upstream: genn\n').replace('values: gen@*', 'values: ${profile.upstream}@*'),
      expect: /pipeline\.yaml:\d+:7: error: dep 'values' in profile 'small' names unknown stage 'genn'\n\s+fix: one of: gen, sum/,
    },
    { name: 'duplicate cell names', edit: (y) => y.replace('name: ${mode}-s${seed}', 'name: s${seed}'), expect: /error: two cells of 'gen' are both named 'gen@s0'/ },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      rig.write('pipeline.yaml', c.edit(original));
      const r = await rig.hebb(['repro', '--dry-run', ...(c.args ?? [])]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(c.expect);
      expect(r.stderr).toMatch(/nothing was run/);
      expect(rig.runs()).toEqual([]);
    });
  }
});

describe('a dep named through the profile', () => {
  it('resolves per profile: both profiles plan the same upstream here', async () => {
    const rig = Rig.create();
    try {
      const y = rig.read('pipeline.yaml');
      rig.write('pipeline.yaml', y.replace('    scale: 10\n', '    scale: 10\n    upstream: gen\n').replace('    scale: 1\n', '    scale: 1\n    upstream: gen\n').replace('values: gen@*', 'values: ${profile.upstream}@*'));
      const r = await rig.hebb(['repro', '--dry-run', '--profile', 'small']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toMatch(/sum/);
    } finally {
      rig.dispose();
    }
  });
});
