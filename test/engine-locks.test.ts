// Issue 11, item 11: a lock whose heartbeat is older than the stale limit is broken whatever its
// PID (a PID reused after a container restart belongs to a live, unrelated process), and a run
// that waits for a live lock says what it waits for, who holds it, and since when.
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from '../src/store/lock.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, Rig } from './rig.ts';

async function keyOf(rig: Rig, cell: string): Promise<string> {
  const r = await rig.hebb(['status', '--json']);
  return (JSON.parse(r.stdout) as { cells: { cell: string; key: string }[] }).cells.find((c) => c.cell === cell)!.key;
}

/** A lock file as another holder writes it: a live PID on this host (this test's own process). */
function plantLock(rig: Rig, key: string, since: string): string {
  mkdirSync(rig.path('artifacts', 'locks'), { recursive: true });
  const path = rig.path('artifacts', 'locks', `${key}.lock`);
  writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), since }));
  return path;
}

describe('locks (issue 11, item 11)', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = Rig.create();
  });
  afterEach(() => rig.dispose());

  it('a same-host lock held by a live PID but without a heartbeat for longer than the stale limit is broken', async () => {
    const key = await keyOf(rig, 'gen@a-s0');
    const path = plantLock(rig, key, '2020-01-01T00:00:00.000Z');
    const old = new Date(Date.now() - 3600_000);
    utimesSync(path, old, old);
    const child = rig.spawn(['repro', '--plain', 'gen@a-s0']);
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    const r = await collect(child);
    clearTimeout(timer);
    expect(r.code, r.stderr).toBe(0);
    expect(rig.runs()).toEqual(['gen@a-s0']);
  }, 180_000);

  it('a run waiting for a live lock says what it waits for, who holds it and since when, then carries on when it is released', async () => {
    const key = await keyOf(rig, 'gen@a-s0');
    const since = new Date().toISOString();
    const path = plantLock(rig, key, since);
    // Keep the planted lock's heartbeat fresh, as a live holder would.
    const beat = setInterval(() => {
      const now = new Date();
      try {
        utimesSync(path, now, now);
      } catch {
        /* released */
      }
    }, 200);
    const child = rig.spawn(['repro', '--plain', 'gen@a-s0'], { HEBB_LOCK_STALE_MS: '5000' });
    const out = collect(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const t0 = Date.now();
    while (!/waiting gen@a-s0/.test(stderr) && Date.now() - t0 < 120_000) await new Promise((res) => setTimeout(res, 100));
    // Still waiting well past the stale limit: the heartbeat is fresh, so the lock stands.
    await new Promise((res) => setTimeout(res, 6000));
    expect(rig.runs()).toEqual([]);
    clearInterval(beat);
    rmSync(path);
    const r = await out;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`waiting gen@a-s0: waiting for gen@a-s0 \\(this store\\), locked by pid ${process.pid} on ${hostname()} since ${since.replace(/\./g, '\\.')} \\(last heartbeat \\d+ s ago\\); waiting since \\S+; the lock is broken if its heartbeat stops for 5 s`));
    expect(rig.runs()).toEqual(['gen@a-s0']);
  }, 180_000);

  it('a holder whose event loop is blocked (a synchronous training loop) keeps its heartbeat', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hebb-lock-'));
    const path = join(dir, 'k.lock');
    const lock = await acquireLock(path, { staleMs: 1000 });
    const created = statSync(path).mtimeMs;
    // Wait for the heartbeat thread's first beat (its start-up is slow on a loaded machine).
    for (let i = 0; i < 200 && statSync(path).mtimeMs === created; i++) await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    while (Date.now() - t0 < 3000) {
      /* block the event loop for 3 stale limits */
    }
    expect(statSync(path).mtimeMs).toBeGreaterThan(t0);
    lock.release();
    rmSync(dir, { recursive: true, force: true });
  });
});
