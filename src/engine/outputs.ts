/**
 * What a cell may leave in its output directory: exactly its declared outputs (`outs:`). Anything
 * else (scratch files, checkpoints, a stray `.DS_Store`) is dropped before the outputs are stored,
 * and named in a warning, so the store holds only what the pipeline declares and downstream
 * cells, bundles and the report never depend on a file nobody declared.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Whether `path` ('/'-separated, relative to the output directory) is covered by a declared output. */
export function isDeclared(path: string, outs: readonly string[]): boolean {
  return outs.some((o) => (o.endsWith('/') ? path.startsWith(o) : path === o));
}

/**
 * Removes every file and directory under `outDir` that no declared output covers (a directory
 * is kept when it is, or lies on the way to, a declared output); returns the removed paths,
 * sorted ('/'-separated, directories with a trailing '/').
 */
export function dropUndeclared(outDir: string, outs: readonly string[]): string[] {
  const dropped: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const rel = `${prefix}${e.name}`;
      if (e.isDirectory()) {
        const asDir = `${rel}/`;
        if (isDeclared(asDir, outs)) continue; // inside (or equal to) a declared directory
        if (outs.some((o) => o.startsWith(asDir))) {
          walk(join(dir, e.name), asDir); // on the way to a declared output
          continue;
        }
        rmSync(join(dir, e.name), { recursive: true, force: true });
        dropped.push(asDir);
      } else if (!isDeclared(rel, outs)) {
        rmSync(join(dir, e.name), { force: true });
        dropped.push(rel);
      }
    }
  };
  walk(outDir, '');
  return dropped.sort();
}

/** The warning for dropped files, naming the cell, the files and the fix. */
export function droppedWarning(cell: string, dropped: readonly string[]): string {
  const shown = dropped.length <= 5 ? dropped.join(', ') : `${dropped.slice(0, 5).join(', ')} and ${dropped.length - 5} more`;
  return `${cell} left ${dropped.length} undeclared file${dropped.length === 1 ? '' : 's'} in its output directory: ${shown}; not stored (declare ${dropped.length === 1 ? 'it' : 'them'} in the stage's outs: to keep ${dropped.length === 1 ? 'it' : 'them'})`;
}
