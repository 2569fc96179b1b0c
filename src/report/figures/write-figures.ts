/**
 * The producing side of the figure protocol (figure-index.ts): renders each figure to
 * `<dir>/<name>.svg` beside its spec `<name>.vl.json`, then writes `<dir>/index.json`, checked
 * against the one schema. Every figure-producing stage calls this; heavy (vega), import lazily.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { figureIndexSchema, type FigureEntry, type FigureIndex, type FigureSection } from './figure-index.ts';
import type { VlSpec } from './figure-specs.ts';
import { renderSvg, rendererVersions } from './render.ts';

/** A figure to render: its index entry and its Vega-Lite spec (data inlined). */
export type FigureToDraw = FigureEntry & { readonly spec: VlSpec };

/** Renders `figures` into `dir` (created) and writes their index; returns the index written. */
export async function writeFigures(
  dir: string,
  figures: readonly FigureToDraw[],
  meta: { readonly sections: readonly FigureSection[]; readonly synthetic?: boolean },
  progress: (done: number, total: number) => void = () => {},
): Promise<FigureIndex> {
  await mkdir(dir, { recursive: true });
  let done = 0;
  for (const d of figures) {
    await writeFile(join(dir, `${d.name}.vl.json`), JSON.stringify(d.spec, null, 1));
    await writeFile(join(dir, `${d.name}.svg`), await renderSvg(d.spec));
    progress(++done, figures.length);
  }
  // Parsing what we write makes a stage that breaks the protocol fail here, not in the report.
  const index = figureIndexSchema.parse({
    schema: 1,
    figures: figures.map((f) => ({ name: f.name, caption: f.caption, section: f.section, ...(f.figure !== undefined ? { figure: f.figure } : {}) })),
    sections: meta.sections,
    ...(meta.synthetic !== undefined ? { synthetic: meta.synthetic } : {}),
    renderer: rendererVersions(),
  });
  await writeFile(join(dir, 'index.json'), JSON.stringify(index, null, 2));
  return index;
}
