/**
 * The figure protocol: every stage that draws figures writes `figures/<name>.svg`,
 * `figures/<name>.vl.json` and `figures/index.json`, and the report stage collects the figures of
 * every input that has an index (docs/report.md §Figures). This file is the one definition of
 * index.json; zod only, so stage modules may import it at top level.
 *
 * Placement in the report: a figure whose `section` is `table1` or `boundary` goes where the
 * report discusses Table 1 or the noise grid (key figures are picked by name: `table1-bars`,
 * `noise-<grid>-alignment`). Every other section is a heading of its own, declared in `sections`
 * by the stage that draws it, so a new figure (or a new figure-producing stage) needs no report code.
 */
import { z } from 'zod';
import { err, ok, type Result } from '../../util/result.ts';

/** The sections the report document places itself (within its Table 1 and phase-boundary sections). */
export const REPORT_SECTIONS = ['table1', 'boundary'] as const;

/** A section id, also a file-name-safe word: `noise`, `sce`. */
const idSchema = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a section id is lower-case letters, digits and dashes');

/** A section the report adds for this index's figures, in the order declared. */
export const figureSectionSchema = z
  .object({
    id: idSchema,
    /** Its heading. */
    title: z.string().min(1),
    /** A paragraph under the heading (e.g. what the data drawn say in one line). */
    text: z.string().optional(),
    /** A warning shown as an INCOMPLETE box under the heading (e.g. synthetic data: not evidence). */
    caveat: z.string().optional(),
  })
  .strict();

/** One rendered figure: `figures/<name>.svg` beside `figures/<name>.vl.json`. */
export const figureEntrySchema = z
  .object({
    /** File stem, unique across the report's inputs. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a figure name is a file stem: letters, digits, _ . -'),
    /** What the report says under it. */
    caption: z.string(),
    /** Where it goes: one of REPORT_SECTIONS or a section declared in `sections`. */
    section: idSchema,
    /** The paper's figure it reproduces, when it reproduces one ("2", "3"). */
    figure: z.string().optional(),
  })
  .strict();

/** figures/index.json, schema 1. */
export const figureIndexSchema = z
  .object({
    schema: z.literal(1),
    /** The figures, in the order the report shows them. */
    figures: z.array(figureEntrySchema),
    /** Headings for this index's sections (see REPORT_SECTIONS for the ones the report places). */
    sections: z.array(figureSectionSchema).default([]),
    /** True when the figures are drawn from synthetic data (a code-path check, not evidence). */
    synthetic: z.boolean().optional(),
    /** The versions that rendered the SVGs (the report's provenance shows them). */
    renderer: z.object({ vega: z.string(), vegaLite: z.string() }).strict().nullable(),
  })
  .strict()
  .superRefine((ix, ctx) => {
    const declared = new Set<string>([...REPORT_SECTIONS, ...ix.sections.map((s) => s.id)]);
    ix.figures.forEach((f, i) => {
      if (!declared.has(f.section)) ctx.addIssue({ code: 'custom', path: ['figures', i, 'section'], message: `section '${f.section}' is neither ${REPORT_SECTIONS.join(' nor ')} nor declared in sections` });
    });
  });

/** A parsed figures/index.json. */
export type FigureIndex = z.infer<typeof figureIndexSchema>;
/** One entry of an index. */
export type FigureEntry = z.infer<typeof figureEntrySchema>;
/** One declared section. */
export type FigureSection = z.infer<typeof figureSectionSchema>;

/** Parses index.json text; the error says what is wrong and where, for the report's log. */
export function parseFigureIndex(text: string): Result<FigureIndex, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return err(`not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const r = figureIndexSchema.safeParse(raw);
  return r.success ? ok(r.data) : err(r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
}
