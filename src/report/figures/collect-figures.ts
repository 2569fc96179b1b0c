/**
 * The consuming side of the figure protocol (figure-index.ts): the report stage gathers the
 * figures of every input cell that has `figures/index.json`, in dep-name order, copies each SVG
 * and spec into its own `figures/`, and reads the SVGs to inline them. An input without an index
 * is not a figure source; a dep named in `absent` that gives no input becomes a "not run" section.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CellInput } from '../../stage-api.ts';
import { parseFigureIndex } from './figure-index.ts';
import type { AbsentFigures, ReportFigures, ReportSection } from '../document/report.ts';
import type { FigureEntry, FigureIndex } from './figure-index.ts';

/** What the report stage got from its inputs: the figures, their SVG markup, and what went wrong. */
export interface CollectedFigures {
  readonly figures: ReportFigures;
  /** SVG markup by figure name (absent for a figure whose files could not be read). */
  readonly svgs: Record<string, string>;
  /** One line per problem (a bad index, a missing file, a name taken twice), for the stage's log. */
  readonly problems: string[];
}

/** Collects the figures of `inputs` into `outFigures` (a directory, created). */
export async function collectFigures(
  inputs: Readonly<Record<string, readonly CellInput[]>>,
  outFigures: string,
  absent: Readonly<Record<string, AbsentFigures>> = {},
): Promise<CollectedFigures> {
  await mkdir(outFigures, { recursive: true });
  const figures: FigureEntry[] = [];
  const sections: ReportSection[] = [];
  const svgs: Record<string, string> = {};
  const problems: string[] = [];
  let renderer: FigureIndex['renderer'] = null;
  const deps = [...new Set([...Object.keys(inputs), ...Object.keys(absent)])].sort();
  for (const dep of deps) {
    const cells = inputs[dep] ?? [];
    const note = absent[dep];
    if (!cells.length && note) sections.push({ id: dep, title: note.title, notRun: { what: note.what, why: note.why } });
    for (const cell of cells) {
      const dir = join(cell.path, 'figures');
      let text: string;
      try {
        text = await readFile(join(dir, 'index.json'), 'utf8');
      } catch {
        continue; // not a figure source
      }
      const index = parseFigureIndex(text);
      if (!index.ok) {
        problems.push(`${cell.cell}: figures/index.json does not follow the figure protocol: ${index.error}`);
        continue;
      }
      renderer ??= index.value.renderer;
      sections.push(...index.value.sections);
      for (const f of index.value.figures) {
        if (figures.some((g) => g.name === f.name)) {
          problems.push(`${cell.cell}: figure ${f.name} is also drawn by an earlier input; the first is kept`);
          continue;
        }
        figures.push(f);
        try {
          svgs[f.name] = await readFile(join(dir, `${f.name}.svg`), 'utf8');
          await copyFile(join(dir, `${f.name}.svg`), join(outFigures, `${f.name}.svg`));
          await copyFile(join(dir, `${f.name}.vl.json`), join(outFigures, `${f.name}.vl.json`));
        } catch (e) {
          problems.push(`figure ${f.name}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }
  return { figures: { figures, sections, renderer }, svgs, problems };
}
