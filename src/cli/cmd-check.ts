/** `hebb check`: the trend checks of the current run, PASS / FAIL / SKIPPED, exit 1 on a FAIL. */
import { copyFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cellStatus, openProject, projectOptions, reportDiagnostics } from './project.ts';
import type { CheckOptions } from './options.ts';

/** Runs `check`; returns the exit code (0 pass, 1 a gating check failed, 2 no current results). */
export async function check(o: CheckOptions): Promise<number> {
  const project = await openProject(projectOptions(o, { readOnly: true }));
  if (!project.ok) return reportDiagnostics(project.error);
  const p = project.value;
  const stage = o.stage;
  const cell = p.cells.find((c) => c.stage === stage);
  if (!cell) {
    process.stderr.write(`hebb check: profile ${p.profile} has no stage '${stage}'\n`);
    return 2;
  }
  const { leftOutCells } = await import('./targets.ts');
  const without = leftOutCells(p.cells, o.without ?? []);
  if (!without.ok) {
    process.stderr.write(`hebb check: ${without.error}\n`);
    return 2;
  }
  const entry = await cellStatus(p, cell.name, without.value);
  if (!entry) {
    process.stderr.write(`hebb check: cell ${cell.name} needs cells left out by --without; nothing to check\n`);
    return 2;
  }
  const record = entry.state === 'cached' && entry.key ? p.store.readRecord(entry.key) : undefined;
  if (!record) {
    process.stderr.write(`hebb check: the checks of profile ${p.profile} are not up to date (${entry.reasons[0] ?? entry.state}); run 'hebb repro --profile ${p.profile}' first\n`);
    return 2;
  }
  // Read straight from the (verified) objects: `check` is a read command and builds no view.
  const checks = p.store.outputPath(record, 'checks.json');
  if (!checks) {
    process.stderr.write(`hebb check: cell ${cell.name} has no output checks.json (key ${record.key.slice(0, 12)}); is --stage right?\n`);
    return 2;
  }
  const { formatCheckReport } = await import('../report/checks/check-output.ts');
  const { text, exitCode } = formatCheckReport(readFileSync(checks, 'utf8'), { requireAll: Boolean(o.requireAll) });
  process.stdout.write(`${text}\n`);
  const junit = p.store.outputPath(record, 'checks.junit.xml');
  if (o.junit !== undefined && junit) copyFileSync(junit, resolve(o.junit));
  return exitCode;
}
