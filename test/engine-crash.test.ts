import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { collect, Rig } from './rig.ts';

/** Every object in cas/ hashes to its name. */
function assertStoreConsistent(rig: Rig): void {
  const cas = rig.path('artifacts', 'cas');
  for (const sub of readdirSync(cas)) {
    for (const f of readdirSync(join(cas, sub))) {
      expect(f.endsWith('.tmp')).toBe(false);
      const digest = createHash('sha256').update(readFileSync(join(cas, sub, f))).digest('hex');
      expect(digest).toBe(sub + f);
    }
  }
  for (const r of readdirSync(rig.path('artifacts', 'runs'))) {
    expect(r.endsWith('.json')).toBe(true);
    const record = JSON.parse(readFileSync(rig.path('artifacts', 'runs', r), 'utf8')) as { outputs: { digest: string }[] };
    for (const o of record.outputs) expect(existsSync(join(cas, o.digest.slice(0, 2), o.digest.slice(2)))).toBe(true);
  }
}

async function waitFor(cond: () => boolean, ms = 60_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('crashes and concurrency', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = Rig.create();
    rig.edit('pipeline.yaml', 'delay_ms: 0', 'delay_ms: 700');
  });
  afterEach(() => rig.dispose());

  it('kill -9 of a running repro: the next repro keeps finished cells and leaves no corrupt object', async () => {
    const child = rig.spawn(['repro', '-j', '2', '--plain']);
    const out = collect(child);
    // Wait until some cells have finished (records exist) and others are running.
    await waitFor(() => existsSync(rig.path('artifacts', 'runs')) && readdirSync(rig.path('artifacts', 'runs')).length >= 2);
    child.kill('SIGKILL');
    await out;
    const finished = readdirSync(rig.path('artifacts', 'runs')).length;
    expect(finished).toBeGreaterThanOrEqual(2);
    expect(finished).toBeLessThan(7);
    assertStoreConsistent(rig);
    const before = rig.runs();
    rig.clearRuns();
    const r = await rig.hebb(['repro', '-j', '2', '--plain']);
    expect(r.code, r.stderr).toBe(0);
    // Cells with a record were not redone; the rest were (each once).
    const redone = rig.runs();
    expect(new Set(redone).size).toBe(redone.length);
    expect(redone.length).toBe(7 - finished);
    expect(before.length).toBeGreaterThanOrEqual(finished);
    assertStoreConsistent(rig);
    expect(JSON.parse(rig.read('reports/full/sum.json'))).toEqual({ total: 180, n: 6 });
  });

  it('Ctrl-C stops the run (exit 130), keeps finished cells, and the next run carries on', async () => {
    const child = rig.spawn(['repro', '-j', '2', '--plain']);
    const out = collect(child);
    await waitFor(() => existsSync(rig.path('artifacts', 'runs')) && readdirSync(rig.path('artifacts', 'runs')).length >= 1);
    child.kill('SIGINT');
    const r = await out;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/interrupted: \d+ running cells stopped, \d+ not started/);
    expect(r.stderr).not.toMatch(/FAILED/);
    const finished = readdirSync(rig.path('artifacts', 'runs')).length;
    assertStoreConsistent(rig);
    rig.clearRuns();
    const again = await rig.hebb(['repro', '-j', '2']);
    expect(again.code, again.stderr).toBe(0);
    expect(rig.runs()).toHaveLength(7 - finished);
  });

  it('Ctrl-C stops a cell stuck in a synchronous loop too: its worker is killed, not orphaned', async () => {
    // A stage that never yields (like a training loop) cannot run the worker's SIGTERM handler.
    rig.edit('stages/gen.ts', "appendFileSync(join(process.cwd(), 'runs.log'), `${ctx.cell}\\n`);", "appendFileSync(join(process.cwd(), 'runs.log'), `${ctx.cell}\\n`); writeFileSync(join(process.cwd(), `pid-${process.pid}`), ''); for (const end = Date.now() + 120_000; Date.now() < end; );");
    const child = rig.spawn(['repro', '-j', '2', '--plain']);
    const out = collect(child);
    await waitFor(() => readdirSync(rig.dir).filter((f) => f.startsWith('pid-')).length >= 2);
    const started = Date.now();
    child.kill('SIGINT');
    const r = await out;
    expect(r.code).toBe(130);
    expect(Date.now() - started).toBeLessThan(30_000);
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const pids = readdirSync(rig.dir).filter((f) => f.startsWith('pid-')).map((f) => Number(f.slice(4)));
    await waitFor(() => pids.every((p) => !alive(p)));
    expect(pids.filter(alive)).toEqual([]);
  });

  it('two concurrent repros on one store run each cell once', async () => {
    const a = collect(rig.spawn(['repro', '-j', '2', '--plain']));
    const b = collect(rig.spawn(['repro', '-j', '2', '--plain']));
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const runs = rig.runs();
    expect(runs.sort()).toEqual(['gen@a-s0', 'gen@a-s1', 'gen@a-s2', 'gen@b-s0', 'gen@b-s1', 'gen@b-s2', 'sum']);
    // Between them the two runs executed 7 cells; each served the rest from the other's work
    // (reused while it ran, or cached if it had already finished).
    const ran = (t: string): number => Number(/(\d+) ran, /.exec(t)![1]);
    expect(ran(ra.stderr) + ran(rb.stderr)).toBe(7);
    assertStoreConsistent(rig);
  });

  it('gc refuses to run while a repro uses the store', async () => {
    const child = rig.spawn(['repro', '-j', '2', '--plain']);
    const out = collect(child);
    await waitFor(() => existsSync(rig.path('artifacts', 'active')) && readdirSync(rig.path('artifacts', 'active')).length > 0);
    const busy = await rig.hebb(['gc']);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(/a hebb repro \(pid \d+\) is using/);
    expect((await out).code).toBe(0);
    const r = await rig.hebb(['gc']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(rig.path('artifacts', 'active'))).toEqual([]);
  });

  it('a stale lock left by a dead process is broken', async () => {
    const r0 = await rig.hebb(['repro', '--dry-run', '--json']);
    const first = JSON.parse(r0.stdout).cells.find((c: { cell: string }) => c.cell === 'gen@a-s0');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { hostname } = await import('node:os');
    mkdirSync(rig.path('artifacts', 'locks'), { recursive: true });
    // PID 2^22+1 is above Linux's pid_max default range in containers: no such process.
    writeFileSync(rig.path('artifacts', 'locks', `${first.key}.lock`), JSON.stringify({ pid: 4194305, host: hostname(), since: new Date().toISOString() }));
    const r = await rig.hebb(['repro', '-j', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(rig.runs()).toContain('gen@a-s0');
  });
});
