/** `hebb status`: what is stale, and why. */
import { statusOf, type StatusEntry } from '../engine/run.ts';
import { openProject, projectOptions, reportDiagnostics } from './project.ts';
import type { StatusOptions } from './options.ts';

/** Runs `status`; returns the exit code. */
export async function status(o: StatusOptions): Promise<number> {
  const project = await openProject(projectOptions(o, { readOnly: true }));
  if (!project.ok) return reportDiagnostics(project.error);
  const { leftOutCells } = await import('./targets.ts');
  const without = leftOutCells(project.value.cells, o.without ?? []);
  if (!without.ok) {
    process.stderr.write(`hebb status: ${without.error}\n`);
    return 2;
  }
  const entries = await statusOf(project.value.cells, project.value.planner(), without.value);
  printStatus(entries, project.value.profile, Boolean(o.json), 'stale');
  return 0;
}

/** Prints status entries for people (stale cells with reasons, grouped counts) or as JSON. */
export function printStatus(entries: readonly StatusEntry[], profile: string, json: boolean, verb: string): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ profile, cells: entries }, null, 1)}\n`);
    return;
  }
  const stale = entries.filter((e) => e.state !== 'cached');
  for (const e of stale) {
    process.stdout.write(`${e.state === 'stale' ? verb.padEnd(9) : 'after    '} ${e.cell}\n`);
    for (const r of e.reasons.slice(0, 6)) process.stdout.write(`            ${r}\n`);
    if (e.reasons.length > 6) process.stdout.write(`            ... ${e.reasons.length - 6} more\n`);
  }
  const cached = entries.length - stale.length;
  process.stdout.write(`profile ${profile}: ${entries.length} cells, ${cached} up to date, ${stale.length} to run\n`);
}
