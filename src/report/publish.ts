/**
 * Copies the report stage's outputs to `reports/<profile>/` (what the CLI does after a run):
 * report.md, report.html and figures/ (report.md links figures/<name>.svg relatively).
 */
import { cp, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Replaces `<reportsRoot>/<profile>/` with the report cell's outputs; returns the directory written. */
export async function publishReport(reportCellDir: string, reportsRoot: string, profile: string): Promise<string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(profile)) throw new Error(`profile name '${profile}' is not a safe directory name`);
  const dest = join(reportsRoot, profile);
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  for (const name of ['report.md', 'report.html', 'figures']) {
    const src = join(reportCellDir, name);
    if (existsSync(src)) await cp(src, join(dest, name), { recursive: true, dereference: true });
  }
  return dest;
}
