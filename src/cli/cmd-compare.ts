/**
 * `hebb compare <reference> [current]`: a later run against a committed reference report
 * (e.g. reports/paper), entry by entry, so a change that moves a paper-scale number shows in review.
 * Each side is a report directory (its report-inputs.json); the current side defaults to the last
 * report this store built for the reference's profile.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compareReports, formatComparison, type ReportData } from '../report/document/compare.ts';
import type { CompareOptions } from './options.ts';
import { openProject, projectOptions, reportDiagnostics } from './project.ts';

type Loaded = { ok: true; data: ReportData; label: string } | { ok: false; error: string };

function loadReport(path: string): Loaded {
  const p = resolve(path);
  const file = existsSync(p) && statSync(p).isDirectory() ? join(p, 'report-inputs.json') : p;
  if (!existsSync(file)) return { ok: false, error: `${file}: not found (a report directory holds report-inputs.json; 'hebb repro' publishes one to reports/<profile>/)` };
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, error: `${file}: not a report (expected a JSON object)` };
    return { ok: true, data: data as ReportData, label: file };
  } catch (e) {
    return { ok: false, error: `${file}: ${e instanceof Error ? e.message : String(e)} (fix: re-publish the report with 'hebb repro')` };
  }
}

/** Runs `compare`; returns the exit code (0 same within tolerance, 1 differences, 2 bad input). */
export async function compare(o: CompareOptions, reference: string, current: string | undefined): Promise<number> {
  const ref = loadReport(reference);
  if (!ref.ok) {
    process.stderr.write(`hebb compare: ${ref.error}\n`);
    return 2;
  }
  let cur: Loaded;
  if (current !== undefined) cur = loadReport(current);
  else {
    const profile = o.profile ?? String(ref.data.profile ?? '');
    const project = await openProject(projectOptions(o, { readOnly: true, ...(profile ? { profile } : {}) }));
    if (!project.ok) return reportDiagnostics(project.error);
    const p = project.value;
    const stage = 'report';
    const cell = p.cells.find((c) => c.stage === stage);
    const key = cell ? p.store.readIndex(p.profile, cell.name) : undefined;
    const record = key ? p.store.readRecord(key) : undefined;
    const file = record ? p.store.outputPath(record, 'report-inputs.json') : undefined;
    if (!file) {
      process.stderr.write(`hebb compare: the store ${p.store.dir} has no report of profile ${p.profile} yet; run 'hebb repro --profile ${p.profile}' first, point --artifacts at the store that has one, or name a second report directory\n`);
      return 2;
    }
    cur = loadReport(file);
  }
  if (!cur.ok) {
    process.stderr.write(`hebb compare: ${cur.error}\n`);
    return 2;
  }
  const tol = { mean: Number(o.tol ?? 0.01), fit: Number(o.fitTol ?? 0.01) };
  if (!(tol.mean >= 0) || !(tol.fit >= 0)) {
    process.stderr.write(`hebb compare: --tol and --fit-tol must be non-negative numbers\n`);
    return 2;
  }
  const c = compareReports(ref.data, cur.data, tol);
  if (o.json) process.stdout.write(`${JSON.stringify(c, null, 1)}\n`);
  else process.stdout.write(formatComparison(c, { reference: ref.label, current: cur.label }));
  return c.differences.length ? 1 : 0;
}
