/** Reads the upstream cells' metrics.json files into CellRecords (the only I/O of aggregation). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CellInput } from '../../stage-api.ts';
import type { CellMetrics } from '../../metrics.ts';
import type { CellRecord } from './cells.ts';

/** Loads every input cell's metrics.json; an unreadable or wrong-schema file becomes `error`, not a throw. */
export async function loadCells(inputs: readonly CellInput[]): Promise<CellRecord[]> {
  return Promise.all(
    inputs.map(async (inp): Promise<CellRecord> => {
      try {
        const raw = JSON.parse(await readFile(join(inp.path, 'metrics.json'), 'utf8')) as CellMetrics;
        if (raw.schema !== 1) return { cell: inp.cell, stage: inp.stage, params: inp.params, metrics: null, error: `metrics.json schema ${String(raw.schema)}, expected 1` };
        return { cell: inp.cell, stage: inp.stage, params: inp.params, metrics: raw };
      } catch (e) {
        return { cell: inp.cell, stage: inp.stage, params: inp.params, metrics: null, error: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
}
