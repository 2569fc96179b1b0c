// Issue 11, item 5: a publish target that could delete the project, the store, code or tracked
// files is refused before anything runs (exit 2, the place and a fix), and hebb only ever
// replaces a directory it published and marked itself.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rig } from './rig.ts';

describe('publish targets (issue 11, item 5)', () => {
  let rig: Rig;
  let original: string;
  beforeAll(() => {
    rig = Rig.create();
    original = rig.read('pipeline.yaml');
    rig.write('docs/notes.md', 'my notes\n');
    rig.write('.gitignore', 'node_modules\nartifacts/\nreports/\nruns.log\n');
    const git = (...args: string[]): string => execFileSync('git', ['-C', rig.dir, '-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { encoding: 'utf8' });
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'project');
  });
  afterAll(() => rig.dispose());

  const refused: Array<[string, RegExp]> = [
    ['.', /publish target '\.' of stage 'sum' is the project root: publishing would delete the whole project/],
    ['./', /publish target '\.\/' of stage 'sum' is the project root/],
    ['artifacts', /publish target 'artifacts' of stage 'sum' is the store \(artifacts\): publishing would delete it/],
    ['artifacts/views', /publish target 'artifacts\/views' of stage 'sum' lies inside the store/],
    ['stages', /publish target 'stages' of stage 'sum' contains the stage module stages\/gen\.ts: publishing would delete it/],
    ['.git', /publish target '\.git' of stage 'sum' is the git repository \(\.git\)/],
    ['docs', /publish target 'docs' of stage 'sum' contains 1 file tracked by git \(docs\/notes\.md\): publishing would delete them/],
  ];
  for (const [target, message] of refused) {
    it(`publish: ${target} is refused before anything runs`, async () => {
      rig.write('pipeline.yaml', original.replace('publish: reports/${profile.name}/', `publish: ${target}`));
      const r = await rig.hebb(['repro']);
      expect(r.stderr).toMatch(new RegExp(`pipeline\\.yaml:28:5: error: ${message.source}`));
      expect(r.stderr).toMatch(/fix: publish to a directory of its own, e.g\. publish: reports\/\$\{profile\.name\}/);
      expect(r.code).toBe(2);
      expect(rig.runs()).toEqual([]);
      for (const f of ['.git/HEAD', 'pipeline.yaml', 'stages/gen.ts', 'docs/notes.md']) expect(existsSync(rig.path(f)), f).toBe(true);
    });
  }

  it('an existing directory hebb did not publish is not replaced; one it published and marked is', async () => {
    rig.write('pipeline.yaml', original);
    rig.write('reports/full/mine.txt', 'keep me\n');
    const r = await rig.hebb(['repro']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/publish target 'reports\/full\/' of stage 'sum' exists and was not published by hebb \(it has no \.hebb-published mark\), so it will not be replaced\n\s+fix: if it is an old report, remove it \(rm -r reports\/full\)/);
    expect(rig.read('reports/full/mine.txt')).toBe('keep me\n');
    rig.write('reports/full/mine.txt', '');
    execFileSync('rm', ['-r', rig.path('reports/full')]);
    const first = await rig.hebb(['repro']);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(rig.path('reports/full/.hebb-published'))).toBe(true);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ total: 180, n: 6 });
    const second = await rig.hebb(['repro']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/published sum/);
  });

  it('a committed reference report (tracked, with the mark) is replaced by a re-run, and git shows what moved', async () => {
    rig.write('pipeline.yaml', original);
    execFileSync('rm', ['-rf', rig.path('reports/full')]);
    expect((await rig.hebb(['repro'])).code).toBe(0);
    const git = (...args: string[]): string => execFileSync('git', ['-C', rig.dir, '-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { encoding: 'utf8' });
    git('add', '-f', 'reports/full');
    git('commit', '-q', '-m', 'reference');
    rig.edit('pipeline.yaml', 'label: total', 'label: sum');
    const r = await rig.hebb(['repro']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ sum: 180, n: 6 });
    expect(git('status', '--porcelain', 'reports/full')).toMatch(/M reports\/full\/sum\.json/);
    // A tracked directory without the mark is still refused.
    rig.write('pipeline.yaml', original.replace('publish: reports/${profile.name}/', 'publish: docs'));
    expect((await rig.hebb(['repro'])).code).toBe(2);
  });
});
