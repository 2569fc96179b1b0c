/**
 * The store at its trust boundaries (issue 11), through the real CLI on the toy project: views
 * never serve bytes that do not match their digests, a stage cannot change its inputs unnoticed,
 * the shared cache's records are checked, malformed store files are treated as missing (never
 * exit 70), keys are checked before a path is built from them, and read commands change nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rig } from './rig.ts';

/** Every path under `dir` (but tmp/, where a command may stage and remove its own files) with its kind, inode, size and mtime. */
function storeState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (rel === '' && e.name === 'tmp') continue;
      const st = lstatSync(join(d, e.name));
      out[`${rel}${e.name}`] = `${e.isDirectory() ? 'd' : 'f'}:${st.ino}:${st.size}:${st.mtimeMs}:${st.mode}`;
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
    }
  };
  walk(dir, '');
  return out;
}

async function recordOf(rig: Rig, cell: string): Promise<{ key: string; outputs: { path: string; digest: string }[]; tree: string }> {
  const show = await rig.hebb(['show', cell, '--json']);
  expect(show.code, show.stderr).toBe(0);
  return JSON.parse(show.stdout).record;
}

/** Overwrites a stored object (made writable first; root could write it anyway). */
function overwrite(file: string, content: string): void {
  chmodSync(file, 0o644);
  writeFileSync(file, content);
}

describe('the store at its trust boundaries', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = Rig.create();
  });
  afterEach(() => rig.dispose());

  it('item 1: a view never serves bytes that do not match their digests, before or after gc', async () => {
    expect((await rig.hebb(['repro', '-j', '2'])).code).toBe(0);
    const gen = await recordOf(rig, 'gen@b-s2');
    const object = rig.path('artifacts', 'cas', gen.outputs[0]!.digest.slice(0, 2), gen.outputs[0]!.digest.slice(2));
    overwrite(object, readFileSync(object, 'utf8').replace(/\d/, '9')); // {"v":60} → {"v":90}, in place (the view links this inode)
    rig.edit('pipeline.yaml', 'label: total', 'label: again');
    rig.clearRuns();
    const r = await rig.hebb(['repro', '-j', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(rig.runs().sort()).toEqual(['gen@b-s2', 'sum']);
    // sum read gen@b-s2 through its view: the rebuilt object (60), not the quarantined inode (90).
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ again: 180, n: 6 });
    expect((await rig.hebb(['gc'])).code).toBe(0);
    rig.edit('pipeline.yaml', 'label: again', 'label: once-more');
    expect((await rig.hebb(['repro'])).code).toBe(0);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ 'once-more': 180, n: 6 });
    // A view file deleted by hand is rebuilt, not served short.
    const sum = await recordOf(rig, 'gen@a-s0');
    const view = rig.path('artifacts', 'views', sum.tree, 'value.json');
    unlinkSync(view);
    rig.edit('pipeline.yaml', 'label: once-more', 'label: last');
    const again = await rig.hebb(['repro']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ last: 180, n: 6 });
  }, 600_000);

  it('item 1: a stage that writes into its inputs fails, the damaged object is quarantined and rebuilt', async () => {
    expect((await rig.hebb(['repro', '-j', '2'])).code).toBe(0);
    // sum overwrites gen@a-s0's value.json through its input path (chmod first: as root it would not even need that).
    rig.edit(
      'stages/sum.ts',
      'appendFileSync(join(process.cwd(), \'runs.log\'), `${ctx.cell}\\n`);',
      'appendFileSync(join(process.cwd(), \'runs.log\'), `${ctx.cell}\\n`);\n    if (ctx.params.label === \'evil\') { const f = join(ctx.inputs.values![0]!.path, \'value.json\'); (await import(\'node:fs\')).chmodSync(f, 0o644); writeFileSync(f, \'{"v":1000}\'); }',
    );
    rig.edit('pipeline.yaml', 'label: total', 'label: evil');
    const r = await rig.hebb(['repro', '-j', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gen@a-s0's value\.json was modified while the cell ran/);
    expect(r.stderr).toMatch(/must not write into ctx\.inputs/);
    expect(existsSync(rig.path('artifacts', 'quarantine'))).toBe(true);
    rig.edit('pipeline.yaml', 'label: evil', 'label: total');
    rig.clearRuns();
    const again = await rig.hebb(['repro', '-j', '2']);
    expect(again.code, again.stderr).toBe(0);
    expect(rig.runs().sort()).toEqual(['gen@a-s0', 'sum']);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ total: 180, n: 6 });
  });

  it('item 2: a shared record copied over another key is reported, ignored, and repaired', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'hebb-shared-'));
    const other = Rig.create();
    try {
      expect((await rig.hebb(['--cache-dir', shared, 'repro', '-j', '2'])).code).toBe(0);
      const a2 = await recordOf(rig, 'gen@a-s2'); // {"v":30}
      const b2 = await recordOf(rig, 'gen@b-s2'); // {"v":60}
      const target = join(shared, 'runs', `${b2.key}.json`);
      writeFileSync(target, readFileSync(join(shared, 'runs', `${a2.key}.json`)));
      const r = await other.hebb(['--cache-dir', shared, 'repro', '-j', '2']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/shared cache .*not a valid run record \(it is the record of key/);
      expect(other.runs()).toEqual(['gen@b-s2']);
      expect(JSON.parse(other.read('reports/full/sum.json'))).toEqual({ total: 180, n: 6 });
      // The project that rebuilt the cell published it again: the shared entry is right now.
      expect(JSON.parse(readFileSync(target, 'utf8')).cell).toBe('gen@b-s2');
      // A record whose outputs were edited (tree no longer matches) is refused too.
      const edited = JSON.parse(readFileSync(target, 'utf8'));
      edited.outputs[0].digest = a2.outputs[0]!.digest;
      writeFileSync(target, JSON.stringify(edited));
      const third = Rig.create();
      try {
        const t = await third.hebb(['--cache-dir', shared, 'repro', '-j', '2']);
        expect(t.code, t.stderr).toBe(0);
        expect(t.stderr).toMatch(/its tree is not the digest of its outputs list/);
        expect(JSON.parse(third.read('reports/full/sum.json'))).toEqual({ total: 180, n: 6 });
      } finally {
        third.dispose();
      }
    } finally {
      other.dispose();
      rmSync(shared, { recursive: true, force: true });
    }
  }, 600_000);

  it('item 3: an object changed in place with its mtime kept is re-hashed, not served', async () => {
    expect((await rig.hebb(['repro', '-j', '2'])).code).toBe(0);
    const gen = await recordOf(rig, 'gen@b-s2');
    const object = rig.path('artifacts', 'cas', gen.outputs[0]!.digest.slice(0, 2), gen.outputs[0]!.digest.slice(2));
    const st = lstatSync(object);
    overwrite(object, '{"v":90}');
    const { utimesSync } = await import('node:fs');
    utimesSync(object, st.atime, st.mtime);
    rig.clearRuns();
    const r = await rig.hebb(['repro', '-j', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(rig.runs()).toEqual(['gen@b-s2']);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ total: 180, n: 6 });
  });

  it('item 7: malformed records, specs, index entries and .state files are treated as missing, never exit 70', async () => {
    expect((await rig.hebb(['repro', '-j', '2'])).code).toBe(0);
    const art = (...p: string[]): string => rig.path('artifacts', ...p);
    const sum = await recordOf(rig, 'sum');
    const gen = await recordOf(rig, 'gen@b-s2');
    const cases: { name: string; damage: () => void; reruns: string[] }[] = [
      { name: 'record {}', damage: () => writeFileSync(art('runs', `${gen.key}.json`), '{}'), reruns: ['gen@b-s2'] },
      { name: 'record []', damage: () => writeFileSync(art('runs', `${gen.key}.json`), '[]'), reruns: ['gen@b-s2'] },
      { name: 'record null', damage: () => writeFileSync(art('runs', `${sum.key}.json`), 'null'), reruns: ['sum'] },
      { name: 'record truncated', damage: () => writeFileSync(art('runs', `${sum.key}.json`), readFileSync(art('runs', `${sum.key}.json`), 'utf8').slice(0, 40)), reruns: ['sum'] },
      {
        name: 'spec [] (and the cell must run)',
        damage: () => {
          writeFileSync(art('specs', `${sum.key}.json`), '[]');
          rmSync(art('runs', `${sum.key}.json`));
        },
        reruns: ['sum'],
      },
      { name: 'index null', damage: () => writeFileSync(art('index', 'full', `${encodeURIComponent('gen@a-s0')}.json`), 'null'), reruns: [] },
      { name: 'verified.json []', damage: () => writeFileSync(art('.state', 'verified.json'), '[]'), reruns: [] },
      { name: 'verified.json null', damage: () => writeFileSync(art('.state', 'verified.json'), 'null'), reruns: [] },
      { name: 'code-cache {"x": 1}', damage: () => writeFileSync(art('.state', 'code-cache.json'), '{"stages/gen.ts": 1}'), reruns: [] },
      { name: 'params-cache null', damage: () => writeFileSync(art('.state', 'params-cache.json'), 'null'), reruns: [] },
      {
        name: 'object replaced by a directory',
        damage: () => {
          const o = art('cas', gen.outputs[0]!.digest.slice(0, 2), gen.outputs[0]!.digest.slice(2));
          rmSync(o);
          mkdirSync(o);
        },
        reruns: ['gen@b-s2'],
      },
    ];
    for (const c of cases) {
      c.damage();
      for (const cmd of [['status'], ['repro', '--dry-run']]) {
        const s = await rig.hebb(cmd);
        expect(s.code, `${c.name}: ${cmd.join(' ')}: ${s.stderr}`).toBe(0);
      }
      rig.clearRuns();
      const r = await rig.hebb(['repro', '-j', '2']);
      expect(r.code, `${c.name}: ${r.stderr}`).toBe(0);
      expect(rig.runs().sort(), c.name).toEqual([...c.reruns].sort());
      expect(JSON.parse(rig.read('reports/full/sum.json')), c.name).toEqual({ total: 180, n: 6 });
    }
    // The bad files were kept for inspection, out of the way.
    expect(readdirSync(art('quarantine')).some((f) => f.startsWith('record-'))).toBe(true);
    expect(readdirSync(art('quarantine')).some((f) => f.startsWith('spec-'))).toBe(true);
  }, 600_000);

  it('item 10: run-cell refuses a key that is not 64 hex digits (no path is built from it)', async () => {
    expect((await rig.hebb(['repro'])).code).toBe(0);
    writeFileSync(rig.path('x.json'), '{}');
    for (const key of ['../../x', '../specs/../../x', 'A'.repeat(64), '']) {
      const r = await rig.hebb(['run-cell', key]);
      expect(r.code, `${key}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/is not a cell key/);
    }
  });

  it('read commands (status, show, dag, repro --dry-run, gc --dry-run, fsck, bundle export) change nothing in the store', async () => {
    expect((await rig.hebb(['repro', '-j', '2'])).code).toBe(0);
    const gen = await recordOf(rig, 'gen@b-s2');
    overwrite(rig.path('artifacts', 'cas', gen.outputs[0]!.digest.slice(0, 2), gen.outputs[0]!.digest.slice(2)), '{"v":90}');
    writeFileSync(rig.path('artifacts', 'runs', `${(await recordOf(rig, 'gen@a-s0')).key}.json`), '{}');
    rig.edit('pipeline.yaml', 'label: total', 'label: changed');
    const before = storeState(rig.path('artifacts'));
    const status = await rig.hebb(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/output object [0-9a-f]{12} corrupt/);
    expect(status.stdout).toMatch(/not a valid run record/);
    for (const cmd of [['status', '--json'], ['show', 'sum'], ['show', 'gen@b-s2', '--json'], ['dag'], ['repro', '--dry-run'], ['gc', '--dry-run'], ['fsck'], ['bundle', 'export', '-o', join(tmpdir(), `hebb-ro-${process.pid}.tar.gz`)]]) {
      const r = await rig.hebb(cmd);
      expect(r.code === 0 || r.code === 1, `${cmd.join(' ')}: ${r.stderr}`).toBe(true);
    }
    rmSync(join(tmpdir(), `hebb-ro-${process.pid}.tar.gz`), { force: true });
    expect(storeState(rig.path('artifacts'))).toEqual(before);
    // The store is still usable: a repro repairs it.
    const r = await rig.hebb(['repro', '-j', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ changed: 180, n: 6 });
  }, 600_000);
});
