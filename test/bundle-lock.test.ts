/**
 * A bundle's lock records the whole pipeline config: pipeline.yaml and every file it includes,
 * in load order, each with its text; locks of the older single-file form are still read; import
 * names each pipeline file that differs from the bundle's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { parseLock, type BundleManifest } from '../src/store/bundle-format.ts';
import { describePipelineDiff, diffPipeline, type LockedFile } from '../src/store/bundle-pipeline.ts';
import { membersOf, repack } from './bundle-members.ts';
import { Rig } from './rig.ts';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const file = (path: string, text: string): LockedFile => ({ path, sha256: sha(text), text });

/** The toy project split into pipeline.yaml and pipeline.d/ (as in pipeline-include.test.ts). */
const SPLIT: Record<string, string> = {
  'pipeline.yaml': 'version: 1\ndefault_profile: full\ninclude: pipeline.d/*.yaml\n',
  'pipeline.d/10-gen.yaml': `profiles:
  full: { seeds: [0, 1, 2], scale: 10 }
  small: { seeds: [0], scale: 1 }
stages:
  gen:
    run: stages/gen.ts
    matrix:
      seed: \${profile.seeds}
      mode: [a, b]
    name: \${mode}-s\${seed}
    params:
      scale: \${profile.scale}
      delay_ms: 0
    outs: [value.json]
`,
  'pipeline.d/20-sum.yaml': `stages:
  sum:
    run: stages/sum.ts
    deps: { values: gen@* }
    params: { label: total }
    outs: [sum.json, detail/]
    publish: reports/\${profile.name}/
`,
};

describe('lock.json: the pipeline files', () => {
  const manifest = { schema: 1, kind: 'hebb-bundle', profile: 'full', cells: [], files: [] } as unknown as BundleManifest;
  const lock = (schema: unknown, pipeline: unknown): unknown => ({ schema, profile: 'full', targets: [], pipeline, cells: [] });
  const refusal = (v: unknown): string => {
    const r = parseLock(v, manifest);
    return 'reason' in r ? `${r.reason}: ${r.message}` : 'accepted';
  };

  it('reads every file of a schema 2 lock, in order', () => {
    const files = [file('pipeline.yaml', 'a'), file('pipeline.d/10-x.yaml', 'b')];
    const r = parseLock(lock(2, { files }), manifest);
    expect('reason' in r ? r : r.pipeline.files).toEqual(files);
  });

  it('reads a schema 1 lock (the top-level file alone) as a list of that file', () => {
    const top = file('pipeline.yaml', 'version: 1\n');
    const r = parseLock(lock(1, top), manifest);
    expect('reason' in r ? r : { schema: r.schema, files: r.pipeline.files }).toEqual({ schema: 1, files: [top] });
  });

  it('refuses unsafe, repeated or mis-hashed pipeline files, and unknown schemas', () => {
    expect(refusal(lock(2, { files: [file('../pipeline.yaml', 'a')] }))).toMatch(/^bad-manifest: pipeline file "\.\.\/pipeline\.yaml": path contains '\.\.'/);
    expect(refusal(lock(2, { files: [file('/etc/passwd', 'a')] }))).toMatch(/^bad-manifest: pipeline file "\/etc\/passwd": absolute path/);
    expect(refusal(lock(1, file('../pipeline.yaml', 'a')))).toMatch(/^bad-manifest: pipeline file/);
    expect(refusal(lock(2, { files: [file('p.yaml', 'a'), file('p.yaml', 'a')] }))).toMatch(/listed twice/);
    expect(refusal(lock(2, { files: [{ ...file('p.yaml', 'a'), text: 'b' }] }))).toMatch(/its sha256 is not the digest of its text/);
    expect(refusal(lock(2, { files: [] }))).toMatch(/at least the top-level file/);
    expect(refusal(lock(2, file('p.yaml', 'a')))).toMatch(/expected "pipeline": \{"files"/);
    expect(refusal(lock(3, { files: [file('p.yaml', 'a')] }))).toMatch(/expected a JSON object with "schema": 2 \(or 1\), got 3/);
  });

  it('names each file that differs, is new here, or is gone', () => {
    const bundle = [file('pipeline.yaml', 'top'), file('pipeline.d/a.yaml', 'a'), file('pipeline.d/b.yaml', 'b'), file('pipeline.d/gone.yaml', 'g')];
    const local = [{ path: 'other.yaml', text: 'top' }, { path: 'pipeline.d/a.yaml', text: 'a' }, { path: 'pipeline.d/b.yaml', text: 'b2' }, { path: 'pipeline.d/new.yaml', text: 'n' }];
    const d = diffPipeline(bundle, local);
    expect(d).toEqual({ changed: ['pipeline.d/b.yaml'], onlyLocal: ['pipeline.d/new.yaml'], onlyBundle: ['pipeline.d/gone.yaml'] });
    expect(describePipelineDiff(d)).toBe("pipeline.d/b.yaml differs; pipeline.d/new.yaml is not in the bundle's pipeline; the bundle's pipeline.d/gone.yaml is not in yours");
    expect(diffPipeline([file('pipeline.yaml', 'top')], [{ path: 'pipeline.yaml', text: 'top2' }, ...local.slice(1)], true)).toEqual({ changed: ['pipeline.yaml'], onlyLocal: [], onlyBundle: [] });
    expect(describePipelineDiff(diffPipeline(bundle.slice(0, 2), local.slice(0, 2)))).toBeUndefined();
  });
});

describe('hebb bundle with pipeline.d/', () => {
  const rigs: Rig[] = [];
  const split = (): Rig => {
    const r = Rig.create();
    rigs.push(r);
    for (const [path, text] of Object.entries(SPLIT)) r.write(path, text);
    return r;
  };
  let a: Rig;
  beforeAll(async () => {
    a = split();
    expect((await a.hebb(['repro', '-j', '2'])).code).toBe(0);
    const r = await a.hebb(['bundle', 'export', '-o', 'results.tar.gz']);
    expect(r.code, r.stderr).toBe(0);
  }, 600_000);
  afterAll(() => rigs.forEach((r) => r.dispose()));

  it('records pipeline.yaml and each included file, in load order, with its text', async () => {
    const members = await membersOf(a.path('results.tar.gz'));
    const lock = JSON.parse(members.find((m) => m.path === 'lock.json')!.data.toString('utf8'));
    expect(lock.schema).toBe(2);
    expect(lock.pipeline).toEqual({ files: Object.entries(SPLIT).map(([path, text]) => file(path, text)) });
    const v = await a.hebb(['bundle', 'verify', 'results.tar.gz']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/profile full; made from pipeline\.yaml and 2 included files\n {2}pipeline pipeline\.yaml {2}sha256 [0-9a-f]{12}\n {2}pipeline pipeline\.d\/10-gen\.yaml {2}sha256 [0-9a-f]{12}\n {2}pipeline pipeline\.d\/20-sum\.yaml /);
  });

  it('import says nothing of the pipeline when every file is the same, and names each one that is not', async () => {
    const same = split();
    const r = await same.hebb(['bundle', 'import', a.path('results.tar.gz')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/note:/);

    const other = split();
    other.edit('pipeline.d/20-sum.yaml', 'stages:\n', '# the sum of every gen cell\nstages:\n');
    other.write('pipeline.d/30-extra.yaml', 'profiles:\n  small: { extra: 1 }\n');
    const o = await other.hebb(['bundle', 'import', a.path('results.tar.gz')]);
    expect(o.code, o.stderr).toBe(0);
    expect(o.stdout).toMatch(
      /note: your pipeline differs from the one the bundle was made from: pipeline\.d\/20-sum\.yaml differs; pipeline\.d\/30-extra\.yaml is not in the bundle's pipeline; cells whose keys changed will still run/,
    );
    // A comment and an unused profile variable change no key: nothing runs.
    const repro = await other.hebb(['repro']);
    expect(repro.code, repro.stderr).toBe(0);
    expect(other.runs()).toEqual([]);
  }, 600_000);

  it('reads a bundle whose lock has the older single-file form, and says the includes were not compared', async () => {
    const members = await membersOf(a.path('results.tar.gz'));
    const old = repack(members, (path, json) => {
      if (path !== 'lock.json') return;
      json.schema = 1;
      json.pipeline = (json.pipeline as { files: LockedFile[] }).files[0];
    });
    const b = split();
    writeFileSync(b.path('old.tar.gz'), old);
    const v = await b.hebb(['bundle', 'verify', 'old.tar.gz']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/made from pipeline\.yaml \(an older lock: the top-level file only\)\n {2}pipeline pipeline\.yaml {2}sha256/);
    const r = await b.hebb(['bundle', 'import', 'old.tar.gz']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/imported 7 records/);
    expect(r.stdout).toMatch(/note: pipeline\.yaml is the one the bundle was made from, but the bundle's lock records only its top-level file \(an older export\), so your 2 included files were not compared/);
    b.edit('pipeline.yaml', 'version: 1\n', '# edited\nversion: 1\n');
    rmSync(b.path('artifacts'), { recursive: true, force: true });
    const e = await b.hebb(['bundle', 'import', 'old.tar.gz']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/note: your pipeline differs from the one the bundle was made from: pipeline\.yaml differs \(the bundle's lock records only its top-level file/);
  }, 600_000);
});
