/** `hebb bundle export | import | verify`: share cached results as one self-checking .tar.gz. */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { statusOf } from '../engine/run.ts';
import { Store } from '../store/store.ts';
import { formatProblem, type BundleLock, type BundleProblem } from '../store/bundle-format.ts';
import { describePipelineDiff, diffPipeline, type PipelineText } from '../store/bundle-pipeline.ts';
import { readPipelineSources } from '../pipeline/include.ts';
import { importBundle } from '../store/bundle-import.ts';
import { bundleLimits } from '../store/bundle-limits.ts';
import { readBundle, type CheckedBundle } from '../store/bundle-read.ts';
import { writeBundle } from '../store/bundle-write.ts';
import { artifactsDir, openProject, projectOptions, reportDiagnostics } from './project.ts';
import { selectTargets } from './targets.ts';
import type { BundleExportOptions, BundleReadOptions, GlobalOptions } from './options.ts';

/** `bundle export [targets...] -o file`: the current cells of a profile (or targets and their upstream), which must be cached. */
export async function bundleExport(o: BundleExportOptions, targets: readonly string[]): Promise<number> {
  const started = Date.now();
  const project = await openProject(projectOptions(o, { readOnly: true }));
  if (!project.ok) return reportDiagnostics(project.error);
  const p = project.value;
  const selected = selectTargets(p.cells, targets);
  if (!selected.ok) return fail('export', { reason: 'unknown-target', message: selected.error });
  const entries = await statusOf(selected.value, p.planner());
  const stale = entries.filter((e) => e.state !== 'cached');
  if (stale.length > 0) {
    const names = stale.map((e) => e.cell);
    return fail('export', { reason: 'not-cached', entry: names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : ''), message: `${stale.length} of ${entries.length} cells of profile ${p.profile} are not up to date in the store` });
  }
  const byName = new Map(selected.value.map((c) => [c.name, c]));
  const written = await writeBundle({
    store: p.store,
    profile: p.profile,
    targets,
    // Every file the loader read, as it read them: pipeline.yaml and each file it includes.
    pipeline: p.pipeline.sources.map((f) => ({ path: projectPath(p.pipeline.root, f.path), text: f.text })),
    cells: entries.map((e) => ({ cell: e.cell, stage: e.stage, key: e.key!, ...(byName.get(e.cell)?.publish ? { publish: byName.get(e.cell)!.publish! } : {}) })),
    out: resolve(o.output),
  });
  if (!written.ok) return fail('export', written.error);
  const w = written.value;
  process.stdout.write(`hebb bundle: wrote ${o.output} (${bytes(w.archiveBytes)}; ${w.records} records, ${w.objects} objects, ${w.reports} report files, ${bytes(w.contentBytes)} unpacked) for profile ${p.profile} in ${seconds(Date.now() - started)}\n`);
  return 0;
}

/** `bundle import file`: checks everything, then adds the bundle's objects and records to the store. */
export async function bundleImport(o: BundleReadOptions, file: string): Promise<number> {
  const started = Date.now();
  const store = new Store(artifactsDir(o.pipeline, o.artifacts));
  const limits = bundleLimits(o.maxBytes);
  if (!limits.ok) return usage(limits.error);
  const result = await importBundle(store, resolve(file), limits.value);
  if (!result.ok) return fail('import', result.error, result.error.reason === 'io-error' ? undefined : 'nothing was imported; the store is unchanged');
  const r = result.value;
  const b = r.bundle;
  if (r.objectsAdded === 0 && r.recordsAdded === 0) {
    process.stdout.write(`hebb bundle: nothing to import: the store already holds all ${b.records.length} records and ${b.objects.length} objects of ${file}\n`);
  } else {
    process.stdout.write(
      `hebb bundle: imported ${r.recordsAdded} records and ${r.objectsAdded} objects (${bytes(r.bytesAdded)}) of profile ${b.manifest.profile} from ${file} in ${seconds(Date.now() - started)}` +
        `${r.recordsPresent + r.objectsPresent > 0 ? `; ${r.recordsPresent} records and ${r.objectsPresent} objects were already there` : ''}\n`,
    );
  }
  const local = resolve(o.pipeline);
  if (existsSync(local)) await pointIndexAtCurrent(o, b.manifest.profile);
  const note = existsSync(local) ? pipelineNote(local, b.lock) : undefined;
  if (note) process.stdout.write(`note: ${note}\n`);
  process.stdout.write(`next: hebb repro --profile ${b.manifest.profile}${b.lock.targets.length ? ` ${b.lock.targets.join(' ')}` : ''}   (reuses the imported cells${b.reports.length ? ' and publishes the report' : ''})\n`);
  return 0;
}

/**
 * After an import: plans the bundle's profile for this checkout (as `repro` would), which points
 * index/ at each cell's current record, imported or local. Imported records that are not current
 * here are left out of the index (and `hebb gc` may drop them); the user's own current records
 * stay current. A project that does not load is left alone (the import itself stands).
 */
async function pointIndexAtCurrent(o: GlobalOptions, profile: string): Promise<void> {
  const project = await openProject(projectOptions({ pipeline: o.pipeline, ...(o.artifacts ? { artifacts: o.artifacts } : {}) }, { profile, set: [] }));
  if (!project.ok) return;
  await statusOf(project.value.cells, project.value.planner());
}

/** `abs` relative to the project root, '/'-separated, as a lock names pipeline files. */
function projectPath(root: string, abs: string): string {
  return relative(root, abs).split(sep).join('/');
}

/**
 * What to say when the local pipeline files are not those the bundle was made from (undefined
 * when they are). The local files are those the loader reads (pipeline.yaml and its includes);
 * when they do not read (a YAML error), the top-level file and the bundle's other files found
 * here. A schema 1 lock holds the top-level file alone: only that one can be compared.
 */
function pipelineNote(top: string, lock: BundleLock): string | undefined {
  const root = resolve(top, '..');
  const sources = readPipelineSources(top);
  const local: PipelineText[] = sources.ok
    ? sources.value.files.map((f) => ({ path: projectPath(root, f.path), text: f.text }))
    : [{ path: projectPath(root, top), text: readFileSync(top, 'utf8') }, ...lock.pipeline.files.slice(1).flatMap((f) => {
        const here = resolve(root, ...f.path.split('/'));
        return existsSync(here) ? [{ path: f.path, text: readFileSync(here, 'utf8') }] : [];
      })];
  const old = lock.schema === 1;
  const words = describePipelineDiff(diffPipeline(lock.pipeline.files, local, old));
  const status = "cells whose keys changed will still run ('hebb status' says which)";
  const unchecked = old && local.length > 1 ? `the bundle's lock records only its top-level file (an older export), so your ${local.length - 1} included file${local.length === 2 ? ' was' : 's were'} not compared` : undefined;
  if (words) return `your pipeline differs from the one the bundle was made from: ${words}${unchecked ? ` (${unchecked})` : ''}; ${status}`;
  return unchecked ? `${local[0]!.path} is the one the bundle was made from, but ${unchecked}; ${status}` : undefined;
}

/** `bundle verify file`: the import's checks without importing; prints what the bundle claims. */
export async function bundleVerify(o: BundleReadOptions, file: string): Promise<number> {
  const limits = bundleLimits(o.maxBytes);
  if (!limits.ok) return usage(limits.error);
  const result = await readBundle(resolve(file), { limits: limits.value });
  if (!result.ok) return fail('verify', result.error);
  printClaims(file, result.value);
  return 0;
}

function printClaims(file: string, b: CheckedBundle): void {
  const out = (s: string): boolean => process.stdout.write(`${s}\n`);
  out(`${file}: intact and self-consistent`);
  out('  proved: every member matches the SHA-256 and size the manifest lists; every object hashes to its name;');
  out('    every record\'s key is the SHA-256 of its fingerprint and its tree the digest of its outputs; every');
  out('    report file is the output of the cell that publishes it');
  out('  not proved: that the outputs are what the code computes. The bundle is unsigned: whoever made it chose');
  out('    the outputs, and a record with a correct key can carry any outputs (same-key poisoning). Import');
  out('    bundles only from people you trust; to check a cell, run it in an empty store and compare its tree');
  out('    (hebb --artifacts /tmp/check repro <cell>, then hebb --artifacts /tmp/check show <cell>)');
  const [top, ...included] = b.lock.pipeline.files;
  const from = `${top!.path}${included.length ? ` and ${included.length} included file${included.length === 1 ? '' : 's'}` : ''}${b.lock.schema === 1 ? ' (an older lock: the top-level file only)' : ''}`;
  out(`  profile ${b.manifest.profile}${b.lock.targets.length ? `, targets ${b.lock.targets.join(' ')}` : ''}; made from ${from}`);
  for (const f of b.lock.pipeline.files) out(`  pipeline ${f.path}  sha256 ${f.sha256.slice(0, 12)}`);
  out(`  ${b.lock.cells.length} cells, ${b.objects.length} objects, ${b.reports.length} report files; ${bytes(b.archiveBytes)} packed, ${bytes(b.contentBytes)} unpacked`);
  const records = new Map(b.records.map((r) => [r.key, r]));
  const width = Math.max(...b.lock.cells.map((c) => c.cell.length), 4);
  out(`  ${'cell'.padEnd(width)}  key           outputs`);
  for (const c of b.lock.cells) {
    const r = records.get(c.key)!;
    out(`  ${c.cell.padEnd(width)}  ${c.key.slice(0, 12)}  ${r.outputs.length} file${r.outputs.length === 1 ? '' : 's'}, ${bytes(r.outputs.reduce((a, x) => a + x.size, 0))}  (ran ${r.finishedAt} on ${r.host})`);
  }
  for (const f of b.reports) out(`  report ${f.path}  ${bytes(f.size)}  sha256 ${f.sha256.slice(0, 12)}`);
}

/** A bad flag: exit 2. */
function usage(message: string): number {
  process.stderr.write(`hebb bundle: ${message}\n`);
  return 2;
}

function fail(verb: string, p: BundleProblem, after?: string): number {
  process.stderr.write(`hebb bundle ${verb}: ${formatProblem(p)}\n${after ? `${after}\n` : ''}`);
  return p.reason === 'unknown-target' ? 2 : 1;
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 2 ** 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
