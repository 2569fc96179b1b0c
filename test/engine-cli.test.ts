import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Rig } from './rig.ts';

describe('hebb dag, show, status, gc, run-cell', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = Rig.create();
    const r = await rig.hebb(['repro', '-j', '2']);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => rig.dispose());

  it('dag prints the graph as text, mermaid and dot', async () => {
    expect((await rig.hebb(['dag'])).stdout).toBe('gen ×6\nsum  ← gen@*\n');
    expect((await rig.hebb(['dag', '--format', 'mermaid'])).stdout).toContain('gen --> sum');
    expect((await rig.hebb(['dag', '--format', 'dot'])).stdout).toContain('"gen" -> "sum";');
    expect((await rig.hebb(['dag', '--format', 'png'])).code).toBe(2);
  });

  it('show gives params, the key breakdown, outputs and timings', async () => {
    const r = await rig.hebb(['show', 'gen@b-s1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/gen@b-s1 {2}\(cached, key [0-9a-f]{16}\)/);
    expect(r.stdout).toContain('"seed":1');
    expect(r.stdout).toMatch(/code {4}stages\/gen\.ts/);
    expect(r.stdout).toMatch(/code {4}stages\/lib\/helper\.ts/);
    expect(r.stdout).toMatch(/package zod@\d/);
    expect(r.stdout).toMatch(/value\.json\s+8 B/);
    const json = JSON.parse((await rig.hebb(['show', 'sum', '--json'])).stdout);
    expect(json.record.fingerprint.inputs.values).toHaveLength(6);
    expect((await rig.hebb(['show', 'gen@zz'])).code).toBe(2);
  });

  it('status --json lists every cell with its state', async () => {
    const json = JSON.parse((await rig.hebb(['status', '--json'])).stdout);
    expect(json.profile).toBe('full');
    expect(json.cells.map((c: { state: string }) => c.state)).toEqual(Array(7).fill('cached'));
  });

  it('run-cell runs a planned cell from the store alone, and reports a missing spec', async () => {
    rig.edit('pipeline.yaml', 'label: total', 'label: again');
    const dry = JSON.parse((await rig.hebb(['repro', '--dry-run', '--json'])).stdout);
    const sum = dry.cells.find((c: { cell: string }) => c.cell === 'sum');
    expect(sum.state).toBe('stale');
    // The dry run does not write specs: run-cell refuses an unknown key with a clear message.
    const missing = await rig.hebb(['run-cell', sum.key]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-spec: no spec for key/);
    // Either way run-cell leaves its outcome as data, for executors that cannot see its process.
    const outcome = (): Record<string, unknown> => JSON.parse(readFileSync(rig.path('artifacts', 'results', `${sum.key}.json`), 'utf8'));
    expect(outcome()).toMatchObject({ schema: 1, key: sum.key, outcome: { status: 'failed', failure: { reason: 'no-spec' } } });
    expect(outcome().cell).toBeUndefined();
    rig.clearRuns();
    await rig.hebb(['repro']);
    expect(rig.runs()).toEqual(['sum']);
    expect(outcome()).toMatchObject({ key: sum.key, cell: 'sum', outcome: { status: 'done', reused: false } });
    const again = await rig.hebb(['run-cell', sum.key, '--attempt', '42_0']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^reused sum/);
    expect(outcome()).toMatchObject({ cell: 'sum', attempt: '42_0', outcome: { status: 'done', reused: true } });
  });

  it('gc keeps what current cells use and drops the rest', async () => {
    expect(readdirSync(rig.path('artifacts', 'runs')).filter((f) => f.endsWith('.json'))).toHaveLength(8); // 7 current + the old sum
    // A temp file left by a writer that died mid-write (PID 4194305 does not exist).
    writeFileSync(rig.path('artifacts', 'runs', '.deadbeef.json.4194305.0a1b2c3d.tmp'), '{"half":');
    const dry = await rig.hebb(['gc', '--dry-run']);
    expect(dry.stdout).toMatch(/would remove/);
    expect(readdirSync(rig.path('artifacts', 'runs'))).toHaveLength(9);
    const r = await rig.hebb(['gc']);
    expect(r.code).toBe(0);
    expect(readdirSync(rig.path('artifacts', 'runs'))).toHaveLength(7);
    expect(readdirSync(rig.path('artifacts', 'runs')).some((f) => f.endsWith('.tmp'))).toBe(false);
    // Outcome records follow their cells: those of current cells stay, the old sum's goes.
    expect(readdirSync(rig.path('artifacts', 'results'))).toHaveLength(7);
    const status = await rig.hebb(['status']);
    expect(status.stdout).toContain('7 up to date, 0 to run');
    expect(existsSync(rig.path('artifacts', 'quarantine'))).toBe(false);
  });
});
