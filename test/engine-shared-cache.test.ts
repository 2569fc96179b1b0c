import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, Rig } from './rig.ts';

describe('shared cache directory', () => {
  let a: Rig;
  let b: Rig;
  let shared: string;
  beforeEach(() => {
    a = Rig.create();
    b = Rig.create();
    shared = mkdtempSync(join(tmpdir(), 'hebb-shared-'));
  });
  afterEach(() => {
    a.dispose();
    b.dispose();
    rmSync(shared, { recursive: true, force: true });
  });

  it('a second project reuses what the first one published, and says so', async () => {
    const ra = await a.hebb(['--cache-dir', shared, 'repro', '-j', '2']);
    expect(ra.code, ra.stderr).toBe(0);
    expect(a.runs()).toHaveLength(7);
    const rb = await b.hebb(['repro', '-j', '2'], { HEBB_CACHE_DIR: shared });
    expect(rb.code, rb.stderr).toBe(0);
    expect(b.runs()).toEqual([]);
    expect(rb.stderr).toMatch(/0 ran, 7 cached \(7 from the shared cache\)/);
    expect(b.read('reports/full/sum.json')).toBe(a.read('reports/full/sum.json'));
    // B's own store now holds the objects: it works without the shared cache too.
    const again = await b.hebb(['repro']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/0 ran, 7 cached, 0 failed/);
  });

  it('a corrupt object in the shared cache is reported and ignored, never copied in', async () => {
    await a.hebb(['--cache-dir', shared, 'repro', '-j', '2']);
    const show = JSON.parse((await a.hebb(['show', 'gen@b-s2', '--json'])).stdout);
    const digest = show.record.outputs[0].digest as string;
    const object = join(shared, 'cas', digest.slice(0, 2), digest.slice(2));
    chmodSync(object, 0o644);
    writeFileSync(object, '{"v":666}');
    const rb = await b.hebb(['--cache-dir', shared, 'repro', '-j', '2']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stderr).toMatch(/shared cache .*object [0-9a-f]{12} of gen@b-s2 is corrupt/);
    expect(b.runs()).toEqual(['gen@b-s2']);
    expect(JSON.parse(b.read('reports/full/sum.json'))).toEqual({ total: 180, n: 6 });
    const local = join(b.dir, 'artifacts', 'cas', digest.slice(0, 2), digest.slice(2));
    expect(readFileSync(local, 'utf8')).toBe('{"v":60}');
  });

  it('two projects running at once on one shared cache run each cell once in total', async () => {
    a.edit('pipeline.yaml', 'delay_ms: 0', 'delay_ms: 500');
    b.edit('pipeline.yaml', 'delay_ms: 0', 'delay_ms: 500');
    const [ra, rb] = await Promise.all([collect(a.spawn(['--cache-dir', shared, 'repro', '-j', '2'])), collect(b.spawn(['--cache-dir', shared, 'repro', '-j', '2']))]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const all = [...a.runs(), ...b.runs()].sort();
    expect(all).toEqual(['gen@a-s0', 'gen@a-s1', 'gen@a-s2', 'gen@b-s0', 'gen@b-s1', 'gen@b-s2', 'sum']);
    expect(readdirSync(join(shared, 'runs'))).toHaveLength(7);
  });
});
