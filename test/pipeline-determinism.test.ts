/**
 * "Same seed, same backend, same result" through the real pipeline: one SRE training cell run
 * into two separate stores gives byte-identical outputs (same keys, same digests), and another
 * seed gives other outputs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collect } from './rig.ts';
import { spawn } from 'node:child_process';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function run(cell: string): Promise<{ key: string; outputs: string[] }> {
  const artifacts = mkdtempSync(join(tmpdir(), 'hebb-det-'));
  dirs.push(artifacts);
  const small = ['--set', 'sre-teacher.n_train=512', '--set', 'sre-table1.steps=30'];
  const hebb = (args: string[]) => collect(spawn(process.execPath, [join(ROOT, 'bin', 'hebb.js'), '--artifacts', artifacts, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  const r = await hebb(['repro', '--profile', 'smoke', '-j', '1', '--plain', ...small, cell]);
  expect(r.code, r.stderr).toBe(0);
  const show = JSON.parse((await hebb(['show', '--profile', 'smoke', ...small, cell, '--json'])).stdout);
  return { key: show.key, outputs: show.record.outputs.map((o: { path: string; digest: string }) => `${o.path}:${o.digest}`) };
}

describe('determinism through the pipeline', () => {
  it('the same cell in two stores: same key, byte-identical outputs; another seed differs', async () => {
    const a = await run('sre-table1@mlp-sgd-5e-3-s0');
    const b = await run('sre-table1@mlp-sgd-5e-3-s0');
    expect(b.key).toBe(a.key);
    expect(b.outputs).toEqual(a.outputs);
    const c = await run('sre-table1@mlp-sgd-5e-3-s1');
    expect(c.outputs.find((o) => o.startsWith('metrics.json'))).not.toBe(a.outputs.find((o) => o.startsWith('metrics.json')));
  }, 600_000); // 6 CLI runs, each starting a worker: minutes on a loaded 2-core machine (180 s ran out at load 12)
});
