/**
 * `hebb fsck [--repair]` through the real CLI (issue 11, item 3): every kind of damage is found
 * and listed (exit 1) without changing the store; --repair fixes it and the next repro rebuilds
 * exactly the cells concerned; a clean store passes (exit 0).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, utimesSync, lstatSync, writeFileSync } from 'node:fs';
import { Rig } from './rig.ts';

async function recordOf(rig: Rig, cell: string): Promise<{ key: string; outputs: { path: string; digest: string }[]; tree: string }> {
  const show = await rig.hebb(['show', cell, '--json']);
  expect(show.code, show.stderr).toBe(0);
  return JSON.parse(show.stdout).record;
}

describe('hebb fsck', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = Rig.create();
  });
  afterEach(() => rig.dispose());

  it('finds every kind of damage, changes nothing, and --repair makes the store sound again', async () => {
    expect((await rig.hebb(['repro', '-j', '2'])).code).toBe(0);
    const clean = await rig.hebb(['fsck']);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/checked 14 objects .* 7 records, 7 specs, \d+ views, 7 index entries, 7 outcome records .*: no problems/);

    const art = (...p: string[]): string => rig.path('artifacts', ...p);
    const b2 = await recordOf(rig, 'gen@b-s2');
    const a0 = await recordOf(rig, 'gen@a-s0');
    const sum = await recordOf(rig, 'sum');
    // 1. An object changed in place, its mtime kept (no cache may hide it).
    const obj = art('cas', b2.outputs[0]!.digest.slice(0, 2), b2.outputs[0]!.digest.slice(2));
    const st = lstatSync(obj);
    chmodSync(obj, 0o644);
    writeFileSync(obj, '{"v":90}');
    utimesSync(obj, st.atime, st.mtime);
    // 2. A record whose outputs were edited (its tree no longer matches).
    const rec = JSON.parse(readFileSync(art('runs', `${a0.key}.json`), 'utf8'));
    rec.outputs[0].size = 999;
    writeFileSync(art('runs', `${a0.key}.json`), JSON.stringify(rec));
    // 3. A malformed spec, 4. a view with a file deleted, 5. a bad index entry, 6. a bad cache.
    writeFileSync(art('specs', `${sum.key}.json`), '[]');
    unlinkSync(art('views', sum.tree, 'sum.json'));
    writeFileSync(art('index', 'full', 'gen%40b-s0.json'), '{"key":"nope"}');
    mkdirSync(art('.state'), { recursive: true });
    writeFileSync(art('.state', 'verified.json'), 'null');
    // 7. A damaged outcome record (results/<key>.json, written by run-cell after each attempt).
    writeFileSync(art('results', `${a0.key}.json`), '{"schema":1,"key":"nope"}');

    const found = await rig.hebb(['fsck']);
    expect(found.code).toBe(1);
    const out = found.stdout;
    expect(out).toMatch(new RegExp(`cas/${b2.outputs[0]!.digest.slice(0, 2)}/${b2.outputs[0]!.digest.slice(2)}: corrupt: hashes to`));
    expect(out).toMatch(new RegExp(`runs/${b2.key}\\.json: record of gen@b-s2: its output value\\.json .* missing or corrupt`));
    expect(out).toMatch(new RegExp(`runs/${a0.key}\\.json: .*its tree is not the digest of its outputs list`));
    expect(out).toMatch(new RegExp(`specs/${sum.key}\\.json: .*not a valid spec`));
    expect(out).toMatch(new RegExp(`views/${sum.tree}: view of sum: sum\\.json is missing`));
    expect(out).toMatch(/index\/full\/gen%40b-s0\.json: not a valid index entry/);
    expect(out).toMatch(/\.state\/verified\.json: not a valid cache/);
    expect(out).toMatch(new RegExp(`results/${a0.key}\\.json: not a valid outcome record`));
    expect(out).toMatch(/fix: hebb fsck --repair/);
    // fsck alone changed nothing: the same problems are found again.
    const untimed = (s: string): string => s.replace(/ in [\d.]+ s:/, ' in … s:');
    expect(untimed((await rig.hebb(['fsck'])).stdout)).toBe(untimed(out));

    const repaired = await rig.hebb(['fsck', '--repair']);
    expect(repaired.code, repaired.stdout).toBe(0);
    expect(repaired.stdout).toMatch(/repaired: moved to quarantine\//);
    const after = await rig.hebb(['fsck']);
    expect(after.code, after.stdout).toBe(0);
    rig.clearRuns();
    const r = await rig.hebb(['repro', '-j', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(rig.runs().sort()).toEqual(['gen@a-s0', 'gen@b-s2']);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ total: 180, n: 6 });
    expect(readdirSync(art('quarantine')).length).toBeGreaterThanOrEqual(3);
    expect((await rig.hebb(['fsck'])).code).toBe(0);
  }, 600_000);

  it('bundle export hashes what it packs: an object changed in place (mtime kept) is refused, not packed under its name', async () => {
    expect((await rig.hebb(['repro', '-j', '2'])).code).toBe(0);
    const b2 = await recordOf(rig, 'gen@b-s2');
    const obj = rig.path('artifacts', 'cas', b2.outputs[0]!.digest.slice(0, 2), b2.outputs[0]!.digest.slice(2));
    const st = lstatSync(obj);
    chmodSync(obj, 0o644);
    writeFileSync(obj, '{"v":90}');
    utimesSync(obj, st.atime, st.mtime);
    const r = await rig.hebb(['bundle', 'export', '-o', 'out.tar.gz']);
    expect(r.code).toBe(1);
    // Refused either when planning (the object's stamp changed) or when packing (hashed as packed).
    expect(r.stderr).toMatch(/gen@b-s2.*not up to date|changed in place/);
    expect(() => lstatSync(rig.path('out.tar.gz'))).toThrow();
    rmSync(rig.path('out.tar.gz'), { force: true });
  });
});
