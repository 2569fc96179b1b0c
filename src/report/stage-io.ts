/** Small I/O helpers for the report stages: read a JSON output of a dep, gather cell inputs. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CellInput } from '../stage-api.ts';

/** The parsed `file` of dep `dep`'s single cell; null when the dep or the file is absent. */
export async function readDepJson<T>(inputs: Readonly<Record<string, readonly CellInput[]>>, dep: string, file: string): Promise<T | null> {
  const inp = inputs[dep]?.[0];
  if (!inp) return null;
  try {
    return JSON.parse(await readFile(join(inp.path, file), 'utf8')) as T;
  } catch {
    return null;
  }
}

/** Every input cell of the deps not in `exclude` (a stage may list several training stages as deps). */
export function cellInputs(inputs: Readonly<Record<string, readonly CellInput[]>>, exclude: readonly string[] = []): CellInput[] {
  return Object.entries(inputs)
    .filter(([k]) => !exclude.includes(k))
    .flatMap(([, v]) => v);
}
