/**
 * Engine benchmarks: a generated pipeline of 2,000 cells, all cached — how long a no-op
 * `hebb repro` takes on top of Node's start-up (target < 1 s) — and hashing 1 GiB of artifacts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomFillSync } from 'node:crypto';
import type { Benchmark } from './harness.ts';
import { Store } from '../src/store/store.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HEBB = join(ROOT, 'bin', 'hebb.js');

function wallMs(args: string[], cwd: string): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, stdio: 'pipe' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr.toString()}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const noop: Benchmark = {
  name: 'engine: no-op repro of 2,000 cached cells',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'hebb-bench-'));
    try {
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      mkdirSync(join(dir, 'stages'));
      writeFileSync(join(dir, 'stages', 'cell.ts'), "import { writeFileSync } from 'node:fs';\nimport { join } from 'node:path';\nimport { z } from 'zod';\nexport default { params: z.object({ i: z.number(), j: z.number() }).strict(), async run(ctx: { params: { i: number; j: number }; outDir: string }) { writeFileSync(join(ctx.outDir, 'out.json'), JSON.stringify(ctx.params)); } };\n");
      writeFileSync(join(dir, 'stages', 'agg.ts'), "import { writeFileSync } from 'node:fs';\nimport { join } from 'node:path';\nimport { z } from 'zod';\nexport default { params: z.object({}).strict(), async run(ctx: { inputs: Record<string, unknown[]>; outDir: string }) { writeFileSync(join(ctx.outDir, 'n.txt'), String(ctx.inputs.cells!.length)); } };\n");
      const i = Array.from({ length: 40 }, (_, k) => k).join(', ');
      const j = Array.from({ length: 50 }, (_, k) => k).join(', ');
      writeFileSync(join(dir, 'pipeline.yaml'), `version: 1\nprofiles: { only: {} }\nstages:\n  cell:\n    run: stages/cell.ts\n    matrix: { i: [${i}], j: [${j}] }\n    outs: [out.json]\n  agg:\n    run: stages/agg.ts\n    deps: { cells: cell@* }\n    outs: [n.txt]\n`);
      const t0 = Date.now();
      execFileSync(process.execPath, [HEBB, 'repro', '-j', '2', '--plain'], { cwd: dir, stdio: 'pipe' });
      const firstRunS = (Date.now() - t0) / 1000;
      const nodeStart = median([0, 1, 2, 3, 4].map(() => wallMs(['-e', '0'], dir)));
      const runs = [0, 1, 2, 3, 4].map(() => wallMs([HEBB, 'repro', '--plain'], dir));
      const help = median([0, 1, 2].map(() => wallMs([HEBB, '--help'], dir)));
      const noopMs = median(runs);
      return {
        figures: [
          { name: 'cells', value: 2001, unit: 'cells' },
          { name: 'first run (all cells execute, -j 2)', value: firstRunS, unit: 's' },
          { name: 'first run throughput', value: 2001 / firstRunS, unit: 'cells/s' },
          { name: 'node start-up (node -e 0)', value: nodeStart, unit: 'ms' },
          { name: 'hebb --help (CLI start-up)', value: help, unit: 'ms' },
          { name: 'no-op repro, wall (median of 5)', value: noopMs, unit: 'ms' },
          { name: 'no-op repro on top of node start-up', value: noopMs - nodeStart, unit: 'ms', target: '< 1000 ms' },
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

const hashing: Benchmark = {
  name: 'engine: hash and store 1 GiB of artifacts',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'hebb-bench-hash-'));
    try {
      const outDir = join(dir, 'out');
      mkdirSync(outDir);
      const chunk = Buffer.alloc(1 << 20);
      for (let f = 0; f < 16; f++) {
        const fd = openSync(join(outDir, `part-${f}.bin`), 'w');
        for (let m = 0; m < 64; m++) {
          randomFillSync(chunk);
          writeSync(fd, chunk);
        }
        closeSync(fd);
      }
      const store = new Store(join(dir, 'artifacts'));
      const t = process.hrtime.bigint();
      const outputs = await store.putTree(outDir);
      const s = Number(process.hrtime.bigint() - t) / 1e9;
      const t2 = process.hrtime.bigint();
      for (const o of outputs) await store.verifyObject(o.digest);
      const v = Number(process.hrtime.bigint() - t2) / 1e9;
      return {
        figures: [
          { name: 'store 1 GiB (16 files: hash + rename into cas/)', value: s, unit: 's' },
          { name: 'throughput', value: 1024 / s, unit: 'MiB/s' },
          { name: 'first verification of the same objects', value: v, unit: 's' },
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** The engine's benchmarks. */
export const benchmarks: readonly Benchmark[] = [noop, hashing];
