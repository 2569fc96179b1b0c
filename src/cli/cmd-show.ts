/** `hebb show <cell>`: a cell's record — params, key breakdown, outputs, timings. */
import { cellStatus, openProject, projectOptions, reportDiagnostics } from './project.ts';
import type { ShowOptions } from './options.ts';

/** Runs `show`; returns the exit code. */
export async function show(o: ShowOptions, name: string): Promise<number> {
  const project = await openProject(projectOptions(o, { readOnly: true }));
  if (!project.ok) return reportDiagnostics(project.error);
  const p = project.value;
  if (!p.cells.some((c) => c.name === name)) {
    const near = p.cells.filter((c) => c.name.startsWith(name.split('@')[0]!)).slice(0, 5).map((c) => c.name);
    process.stderr.write(`hebb: no cell '${name}' in profile ${p.profile}${near.length ? ` (e.g. ${near.join(', ')})` : ''}\n`);
    return 2;
  }
  const entry = (await cellStatus(p, name))!;
  const record = entry.key && entry.state === 'cached' ? p.store.readRecord(entry.key) : undefined;
  const cell = p.cells.find((c) => c.name === name)!;
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ cell: name, state: entry.state, key: entry.key ?? null, reasons: entry.reasons, params: cell.params, record: record ?? null }, null, 1)}\n`);
    return 0;
  }
  const w = (s: string): boolean => process.stdout.write(`${s}\n`);
  w(`${name}  (${entry.state}${entry.key ? `, key ${entry.key.slice(0, 16)}` : ''})`);
  w(`  stage   ${cell.stage}  (${cell.module})`);
  w(`  params  ${JSON.stringify(cell.params)}`);
  for (const r of entry.reasons) w(`  why     ${r}`);
  if (!record) return 0;
  const fp = record.fingerprint as { code?: { files: Record<string, string>; packages: Record<string, string> }; inputs?: Record<string, { cell: string; tree: string }[]>; env?: Record<string, string> };
  w('  key breakdown');
  for (const [f, h] of Object.entries(fp.code?.files ?? {})) w(`    code    ${f}  ${h.slice(0, 12)}`);
  for (const [pkg, v] of Object.entries(fp.code?.packages ?? {})) w(`    package ${pkg}@${v}`);
  for (const [dep, list] of Object.entries(fp.inputs ?? {})) w(`    input   ${dep}: ${list.length === 1 ? `${list[0]!.cell} tree ${list[0]!.tree.slice(0, 12)}` : `${list.length} cells`}`);
  for (const [k, v] of Object.entries(fp.env ?? {})) w(`    env     ${k}=${v}`);
  w('  outputs');
  const width = Math.max(...record.outputs.map((x) => x.path.length), 8);
  for (const out of record.outputs) w(`    ${out.path.padEnd(width)}  ${String(out.size).padStart(10)} B  ${out.digest.slice(0, 12)}`);
  w(`  ran     ${record.startedAt} → ${record.finishedAt} (${(record.durationMs / 1000).toFixed(2)} s) on ${record.host} pid ${record.pid}`);
  if (record.log) w(`  log     ${p.store.objectPath(record.log)}`);
  w(`  view    ${p.store.viewIfValid(record) ?? '(none: the next hebb repro that reads this cell builds it)'}`);
  return 0;
}
