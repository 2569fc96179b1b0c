/**
 * The module layers hold (docs/engine.md, "phases"): dependencies point one way, cli → engine →
 * {pipeline, store}, with executors (src/exec) implementing the engine's contract. The test reads
 * every import (static, dynamic, re-export) of every file under src/ and fails on an edge that
 * points the wrong way, or on an import cycle through the CLI (a command importing main.ts, which
 * imports every command, closed a 10-file cycle before cli/options.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importsOf } from '../src/engine/code-identity.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'assembly' ? [] : files(p); // AssemblyScript sources, compiled apart
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** src-relative file → the src-relative files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files(SRC)) {
    const deps = importsOf(readFileSync(file, 'utf8'))
      .filter((s) => s.startsWith('.'))
      .map((s) => relative(SRC, resolve(dirname(file), s)))
      .filter((s) => !s.startsWith('..'));
    graph.set(relative(SRC, file), deps);
  }
  return graph;
}

const folderOf = (file: string): string => (file.includes('/') ? file.split('/')[0]! : '.');

/** Folders each folder must never import (the engine side never knows how or what it runs). */
const FORBIDDEN: Record<string, readonly string[]> = {
  engine: ['exec', 'ml', 'report', 'cli'],
  store: ['exec', 'ml', 'report', 'cli'],
  pipeline: ['exec', 'ml', 'report', 'cli'],
  exec: ['cli', 'ml', 'report'],
};

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('module layers', () => {
  const graph = importGraph();

  it('reads the imports it checks (the graph is not empty, and sees dynamic imports)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('cli/main.ts')).toContain('cli/cmd-repro.ts');
  });

  it('no edge points the wrong way: engine, store and pipeline never import exec, ml, report or cli; exec never imports cli', () => {
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      const banned = FORBIDDEN[folderOf(file)] ?? [];
      for (const dep of deps) if (banned.includes(folderOf(dep))) wrong.push(`${file} → ${dep}`);
    }
    expect(wrong).toEqual([]);
  });

  it('no import cycle goes through src/cli or src/exec', () => {
    const through = cycles(graph).filter((scc) => scc.some((f) => f.startsWith('cli/') || f.startsWith('exec/')));
    expect(through).toEqual([]);
  });

  it('finds a cycle and a wrong edge when there is one (the checks can fail)', () => {
    const g = new Map([['cli/main.ts', ['cli/cmd-a.ts']], ['cli/cmd-a.ts', ['cli/main.ts']], ['engine/run.ts', ['exec/slurm.ts']]]);
    expect(cycles(g)).toEqual([['cli/cmd-a.ts', 'cli/main.ts']]);
    expect(FORBIDDEN[folderOf('engine/run.ts')]).toContain(folderOf('exec/slurm.ts'));
  });
});
