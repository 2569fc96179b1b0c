/**
 * The figure protocol (src/report/figures/figure-index.ts): a stage the report has never heard of
 * writes figures/index.json beside its SVGs, and the report picks its figures up, under the section
 * the index declares, with no report code changed; a malformed index is logged, never fatal.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CellInput, StageContext, StageModule } from '../src/stage-api.ts';
import { parseFigureIndex } from '../src/report/figures/figure-index.ts';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** A cell directory of a made-up figure stage: figures/index.json plus each figure's files. */
async function figureCell(root: string, cell: string, index: unknown): Promise<CellInput> {
  const dir = join(root, cell, 'figures');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  for (const f of (index as { figures?: { name: string }[] }).figures ?? []) {
    await writeFile(join(dir, `${f.name}.svg`), SVG);
    await writeFile(join(dir, `${f.name}.vl.json`), '{}');
  }
  return { cell, stage: cell, matrix: {}, params: {}, path: join(root, cell) };
}

async function runReport(inputs: Record<string, CellInput[]>, raw: unknown = {}): Promise<{ out: string; logs: string[] }> {
  const mod = (await import('../stages/report.ts')).default as StageModule<unknown>;
  const root = await mkdtemp(join(tmpdir(), 'hebb-figproto-'));
  roots.push(root);
  const out = join(root, 'report');
  await mkdir(out, { recursive: true });
  const logs: string[] = [];
  const ctx: StageContext<unknown> = { params: mod.params.parse(raw), inputs, outDir: out, cell: 'report', profile: 'smoke', env: {}, log: (m) => logs.push(m), progress: () => {} };
  await mod.run(ctx);
  return { out, logs };
}

describe('the figure protocol', () => {
  it('a new figure-producing input is picked up by the report, under the section it declares', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hebb-figsrc-'));
    roots.push(root);
    const robust = await figureCell(root, 'robustness', {
      schema: 1,
      sections: [{ id: 'robustness', title: 'Robustness to the batch size', text: 'Alignment holds from batch 32 to 512.', caveat: 'two seeds only' }],
      figures: [{ name: 'robust-batch', caption: 'Alignment vs batch size.', section: 'robustness' }],
      renderer: null,
    });
    const { out, logs } = await runReport({ robustness: [robust] });
    expect(logs.filter((l) => !l.startsWith('report:'))).toEqual([]);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    const at = md.indexOf('## Robustness to the batch size');
    expect(at).toBeGreaterThan(md.indexOf('## Phase boundary'));
    expect(at).toBeLessThan(md.indexOf('## Provenance'));
    expect(md.slice(at)).toMatch(/two seeds only[\s\S]*Alignment holds from batch 32 to 512\.[\s\S]*!\[[^\]]*\]\(figures\/robust-batch\.svg\)/);
    expect(md).toContain('Alignment vs batch size.');
    expect((await readdir(join(out, 'figures'))).sort()).toEqual(['robust-batch.svg', 'robust-batch.vl.json']);
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('data:image/svg+xml;base64,');
  });

  it('an absent optional source is said under "Not run"; a malformed index and a name drawn twice are logged', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hebb-figsrc-'));
    roots.push(root);
    const a = await figureCell(root, 'a', { schema: 1, sections: [{ id: 'x', title: 'X' }], figures: [{ name: 'same', caption: 'first', section: 'x' }], renderer: null });
    const b = await figureCell(root, 'b', { schema: 1, sections: [{ id: 'y', title: 'Y' }], figures: [{ name: 'same', caption: 'second', section: 'y' }], renderer: null });
    const bad = await figureCell(root, 'bad', { schema: 1, figures: [{ name: 'oops', caption: 'c', section: 'nowhere' }], renderer: null });
    const absent = { late: { what: 'The late experiments', title: 'Late', why: 'they were left out' } };
    const { out, logs } = await runReport({ a: [a], b: [b], bad: [bad] }, { absent_figures: absent });
    expect(logs.some((l) => l.includes('bad: figures/index.json does not follow the figure protocol') && l.includes("section 'nowhere'"))).toBe(true);
    expect(logs.some((l) => l.includes('figure same is also drawn by an earlier input'))).toBe(true);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain('first');
    expect(md).not.toContain('second');
    expect(md).toContain('- The late experiments: they were left out.');
    expect(md).toMatch(/## Late\s+Not run: they were left out\./);
  });

  it('index.json is checked against one schema: unknown keys and undeclared sections are refused', () => {
    const good = { schema: 1, figures: [{ name: 'table1-bars', caption: 'c', section: 'table1' }], renderer: { vega: '5', vegaLite: '5' } };
    expect(parseFigureIndex(JSON.stringify(good)).ok).toBe(true);
    expect(parseFigureIndex(JSON.stringify({ ...good, extra: 1 })).ok).toBe(false);
    expect(parseFigureIndex(JSON.stringify({ ...good, figures: [{ name: '../x', caption: 'c', section: 'table1' }] })).ok).toBe(false);
    const r = parseFigureIndex('{');
    expect(r.ok ? '' : r.error).toMatch(/^not JSON/);
  });
});
