/**
 * Bundles at the store's trust boundary (issue 11, items 4, 6, 10) through the real CLI: verify
 * says what it proved and what it did not; an import never moves index/ away from the user's own
 * current results (so gc keeps them); a bundle whose profile or cell names could build paths
 * outside index/ is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Rig } from './rig.ts';
import { membersOf, repack } from './bundle-members.ts';

describe('bundles and the trust they need', () => {
  let a: Rig;
  const others: Rig[] = [];
  const fresh = (): Rig => {
    const r = Rig.create();
    others.push(r);
    return r;
  };
  beforeAll(async () => {
    a = Rig.create();
    expect((await a.hebb(['repro', '-j', '2'])).code).toBe(0);
    const r = await a.hebb(['bundle', 'export', '-o', 'results.tar.gz']);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => {
    a.dispose();
    others.forEach((r) => r.dispose());
  });

  it('item 4: verify says what it proved and, plainly, what it did not (unsigned: same-key poisoning)', async () => {
    const v = await a.hebb(['bundle', 'verify', 'results.tar.gz']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/proved: every member matches the SHA-256 and size/);
    expect(v.stdout).toMatch(/not proved: that the outputs are what the code computes/);
    expect(v.stdout).toMatch(/same-key poisoning/);
    expect(v.stdout).not.toMatch(/\bOK\b/);
    expect(readFileSync(new URL('../docs/bundles.md', import.meta.url), 'utf8')).toMatch(/same-key poisoning/i);
  });

  it('item 6: import does not repoint index/ away from current local records, so gc keeps them', async () => {
    const b = fresh();
    b.edit('pipeline.yaml', 'label: total', 'label: mine');
    expect((await b.hebb(['repro', '-j', '2'])).code).toBe(0);
    const mine = JSON.parse((await b.hebb(['show', 'sum', '--json'])).stdout).key as string;
    const imp = await b.hebb(['bundle', 'import', a.path('results.tar.gz')]);
    expect(imp.code, imp.stderr).toBe(0);
    const index = JSON.parse(b.read(`artifacts/index/full/sum.json`)).key;
    expect(index).toBe(mine);
    expect((await b.hebb(['gc'])).code).toBe(0);
    expect(existsSync(b.path('artifacts', 'runs', `${mine}.json`))).toBe(true);
    b.clearRuns();
    const r = await b.hebb(['repro', '-j', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(b.runs()).toEqual([]);
    expect(JSON.parse(b.read('reports/full/sum.json'))).toEqual({ mine: 180, n: 6 });
    // The imported cells that are current here (all the gen cells) are indexed and kept.
    const c = fresh();
    expect((await c.hebb(['bundle', 'import', a.path('results.tar.gz')])).code).toBe(0);
    expect((await c.hebb(['gc'])).code).toBe(0);
    c.clearRuns();
    expect((await c.hebb(['repro'])).stderr).toMatch(/0 ran, 7 cached/);
  }, 600_000);

  it("item 10: a bundle whose profile is '..' or '.', or a cell name that is a path, is refused; nothing is written", async () => {
    const members = await membersOf(a.path('results.tar.gz'));
    const cases: [string, (path: string, json: Record<string, unknown>) => void][] = [
      ['profile ..', (_p, j) => void ('profile' in j && (j.profile = '..'))],
      ['profile .', (_p, j) => void ('profile' in j && (j.profile = '.'))],
      ['cell ../../x', (_p, j) => {
        if (Array.isArray(j.cells)) for (const c of j.cells as { cell: string }[]) if (c.cell === 'sum') c.cell = '../../x';
        if (j.cell === 'sum') j.cell = '../../x';
      }],
    ];
    for (const [name, edit] of cases) {
      const c = fresh();
      c.write('bad.tar.gz', '');
      writeFileSync(c.path('bad.tar.gz'), repack(members, edit));
      const v = await c.hebb(['bundle', 'verify', 'bad.tar.gz']);
      expect(v.code, `${name}: ${v.stdout}`).toBe(1);
      const r = await c.hebb(['bundle', 'import', 'bad.tar.gz']);
      expect(r.code, `${name}: ${r.stdout}`).toBe(1);
      expect(r.stderr, name).toMatch(/\[bad-(manifest|record)\]/);
      expect(existsSync(c.path('artifacts', 'runs')) ? readdirSync(c.path('artifacts', 'runs')) : [], name).toEqual([]);
      expect(existsSync(c.path('artifacts', 'sum.json')), name).toBe(false);
      expect((await c.hebb(['gc'])).code, name).toBe(0);
    }
  }, 600_000);
});
