/** Builds the RunProvenance of a finished run (what the published report shows about it). */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../engine/run.ts';
import type { Cell } from '../pipeline/expand.ts';
import type { RunProvenance } from '../stage-api.ts';

const KEY_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'vega', 'vega-lite', 'typescript', 'zod', 'yaml'];

/** Provenance of a run over `cells` in the project at `root`. */
export function buildProvenance(root: string, profile: string, cells: readonly Cell[], result: RunResult, startedAt: Date, git = gitOf(root)): RunProvenance {
  const finishedAt = new Date();
  const versions: Record<string, string> = { node: process.versions.node };
  try {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages?: Record<string, { version?: string }> };
    for (const p of KEY_PACKAGES) {
      const v = lock.packages?.[`node_modules/${p}`]?.version;
      if (v && existsSync(join(root, 'node_modules', p))) versions[p] = v;
    }
  } catch {
    /* no lockfile: node only */
  }
  const stages = new Map<string, { cells: number; cached: number; ms: number }>();
  let backend: string | undefined;
  for (const c of cells) {
    const s = stages.get(c.stage) ?? { cells: 0, cached: 0, ms: 0 };
    s.cells++;
    if (result.cached.has(c.name)) s.cached++;
    const record = result.done.get(c.name);
    if (record) {
      s.ms += record.durationMs;
      const env = (record.fingerprint as { env?: Record<string, string> }).env;
      backend ??= env?.backend;
    }
    stages.set(c.stage, s);
  }
  const cpus = os.cpus();
  const at = backend?.lastIndexOf('@') ?? -1;
  return {
    schema: 1,
    profile,
    command: ['hebb', ...process.argv.slice(2)].join(' '),
    ...git,
    ...(backend ? { backend: at > 0 ? { name: backend.slice(0, at), version: backend.slice(at + 1) } : { name: backend } } : {}),
    versions,
    cells: { total: result.summary.total, cached: result.summary.cached, ran: result.summary.ran + result.summary.reused, failed: result.summary.failed.length },
    stages: [...stages].map(([stage, s]) => ({ stage, cells: s.cells, cached: s.cached, wallSeconds: Math.round(s.ms / 10) / 100 })),
    machine: { hostname: os.hostname(), platform: os.platform(), arch: os.arch(), cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    wallSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
  };
}

/**
 * The commit and whether tracked files differ from it. Taken when the run starts: publishing
 * rewrites a committed reference report (reports/paper), which must not make its own run look dirty.
 */
export function gitOf(root: string): { git?: { commit: string; dirty: boolean } } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
    return { git: { commit, dirty } };
  } catch {
    return {};
  }
}
