/** Walking a directory of outputs. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every regular file under `dir`, recursively, in sorted order; a symlink or special file is an error. */
export function walkFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walkFiles(p));
    else if (entry.isFile()) out.push(p);
    else throw new Error(`${p}: only regular files and directories can be outputs (found a ${entry.isSymbolicLink() ? 'symlink' : 'special file'})`);
  }
  return out;
}
