/**
 * `hebb bundle export | import | verify` through the real CLI: the round trip into a fresh copy
 * of the project (no cell runs again, same report), idempotence, verify on good and bad bundles,
 * an import killed with SIGKILL, and two imports at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { collect, Rig } from './rig.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Every object hashes to its name, no temp file is left in cas/, every record's objects exist, every index entry names a record. */
function assertStoreConsistent(rig: Rig): { objects: number; records: number } {
  const art = rig.path('artifacts');
  const cas = join(art, 'cas');
  let objects = 0;
  for (const sub of existsSync(cas) ? readdirSync(cas) : []) {
    for (const f of readdirSync(join(cas, sub))) {
      expect(f.endsWith('.tmp'), f).toBe(false);
      expect(sha(readFileSync(join(cas, sub, f)))).toBe(sub + f);
      objects++;
    }
  }
  const runs = join(art, 'runs');
  // A kill mid-write may leave a `.<key>.json.<pid>.<rand>.tmp` beside the records: not a record.
  const records = existsSync(runs) ? readdirSync(runs).filter((f) => /^[0-9a-f]{64}\.json$/.test(f)) : [];
  for (const r of records) {
    const record = JSON.parse(readFileSync(join(runs, r), 'utf8')) as { outputs: { digest: string }[]; log?: string };
    for (const d of [...record.outputs.map((o) => o.digest), ...(record.log ? [record.log] : [])]) expect(existsSync(join(cas, d.slice(0, 2), d.slice(2))), `${r} → ${d}`).toBe(true);
  }
  const index = join(art, 'index', 'full');
  // Same for the index: a kill between write and rename leaves `.<cell>.<pid>.<rand>.tmp`, never read as an entry.
  for (const f of existsSync(index) ? readdirSync(index).filter((n) => !n.endsWith('.tmp')) : []) {
    const { key } = JSON.parse(readFileSync(join(index, f), 'utf8')) as { key: string };
    expect(existsSync(join(runs, `${key}.json`)), `index ${f}`).toBe(true);
  }
  return { objects, records: records.length };
}

async function waitFor(cond: () => boolean, ms = 60_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('hebb bundle', () => {
  let a: Rig;
  let bundle: string;
  const fresh: Rig[] = [];
  const freshRig = (): Rig => {
    const r = Rig.create();
    fresh.push(r);
    return r;
  };
  beforeAll(async () => {
    a = Rig.create();
    expect((await a.hebb(['repro', '-j', '2'])).code).toBe(0);
    const started = Date.now();
    const r = await a.hebb(['bundle', 'export', '-o', 'results.tar.gz']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote results\.tar\.gz \(.*7 records, 14 objects, 2 report files/);
    bundle = a.path('results.tar.gz');
    process.stderr.write(`bundle export (toy, full): ${readFileSync(bundle).length} B in ${Date.now() - started} ms (CLI wall time)\n`);
  });
  afterAll(() => {
    a.dispose();
    fresh.forEach((r) => r.dispose());
  });

  it('round trip: import into a fresh copy, then repro runs nothing and publishes the same report', async () => {
    const b = freshRig();
    const refused = await b.hebb(['bundle', 'export', '-o', 'x.tar.gz']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not-cached[\s\S]*fix: run `hebb repro`/);
    const started = Date.now();
    const r = await b.hebb(['bundle', 'import', bundle]);
    expect(r.code, r.stderr).toBe(0);
    process.stderr.write(`bundle import (toy, full): ${Date.now() - started} ms (CLI wall time)\n`);
    expect(r.stdout).toMatch(/imported 7 records and 14 objects/);
    expect(assertStoreConsistent(b)).toEqual({ objects: 14, records: 7 });
    const again = await b.hebb(['bundle', 'import', bundle]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing to import: the store already holds all 7 records and 14 objects/);
    const repro = await b.hebb(['repro', '--plain']);
    expect(repro.code, repro.stderr).toBe(0);
    expect(b.runs()).toEqual([]);
    expect(b.read('reports/full/sum.json')).toBe(a.read('reports/full/sum.json'));
    expect(b.read('reports/full/detail/cells.txt')).toBe(a.read('reports/full/detail/cells.txt'));
    // The same records export to the same bytes, from either store.
    expect((await b.hebb(['bundle', 'export', '-o', 'again.tar.gz'])).code).toBe(0);
    expect(sha(readFileSync(b.path('again.tar.gz')))).toBe(sha(readFileSync(bundle)));
  });

  it('export of a target takes its upstream; verify prints what a bundle claims', async () => {
    const r = await a.hebb(['bundle', 'export', 'gen@a-s0', '-o', 'one.tar.gz']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 records, 2 objects, 0 report files/);
    const v = await a.hebb(['bundle', 'verify', bundle]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/intact and self-consistent/);
    expect(v.stdout).toMatch(/profile full; made from pipeline\.yaml/);
    expect(v.stdout).toMatch(/7 cells, 14 objects, 2 report files/);
    expect(v.stdout).toMatch(/\n {2}sum +[0-9a-f]{12} {2}2 files/);
    expect(v.stdout).toMatch(/report reports\/full\/sum\.json/);
  });

  it('verify names the damaged member and exits non-zero', async () => {
    // Flip one byte of sum.json's report copy inside the (uncompressed) tar: same size, other digest.
    const tar = gunzipSync(readFileSync(bundle));
    const at = tar.indexOf(Buffer.from(a.read('reports/full/sum.json')), tar.indexOf(Buffer.from('reports/full/sum.json\0')));
    expect(at).toBeGreaterThan(0);
    tar[at + 2] = tar[at + 2]! ^ 1;
    writeFileSync(a.path('bad.tar.gz'), gzipSync(tar));
    const v = await a.hebb(['bundle', 'verify', 'bad.tar.gz']);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/^hebb bundle verify: reports\/full\/sum\.json: its SHA-256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64} \[digest-mismatch\]\n {2}fix: /);
  });

  it('an import killed with SIGKILL leaves a consistent store; importing again completes it', async () => {
    const c = freshRig();
    const child = c.spawn(['bundle', 'import', bundle], { HEBB_BUNDLE_IMPORT_STEP_MS: '120' });
    const out = collect(child);
    // Kill it while records are going in (objects are all in by then).
    await waitFor(() => existsSync(c.path('artifacts', 'runs')) && readdirSync(c.path('artifacts', 'runs')).filter((f) => f.endsWith('.json')).length >= 2);
    child.kill('SIGKILL');
    expect((await out).code).toBe(null);
    const mid = assertStoreConsistent(c);
    expect(mid.records).toBeGreaterThanOrEqual(2);
    expect(mid.records).toBeLessThan(7);
    const r = await c.hebb(['bundle', 'import', bundle]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`imported ${7 - mid.records} records and 0 objects`));
    expect(assertStoreConsistent(c)).toEqual({ objects: 14, records: 7 });
  });

  it('two imports at once both succeed and leave a consistent store', async () => {
    const d = freshRig();
    const env = { HEBB_BUNDLE_IMPORT_STEP_MS: '30' };
    const [x, y] = await Promise.all([collect(d.spawn(['bundle', 'import', bundle], env)), collect(d.spawn(['bundle', 'import', bundle], env))]);
    expect(x.code, x.stderr).toBe(0);
    expect(y.code, y.stderr).toBe(0);
    expect(assertStoreConsistent(d)).toEqual({ objects: 14, records: 7 });
    expect(readdirSync(d.path('artifacts', 'index', 'full'))).toHaveLength(7);
  });
});
