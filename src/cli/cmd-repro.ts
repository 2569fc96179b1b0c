/** `hebb repro`: bring the pipeline (or some targets) up to date. */
import { join, resolve } from 'node:path';
import type { Cell } from '../pipeline/expand.ts';
import { checkPublishTargets, replacePublished } from './publish-guard.ts';
import { importStage } from '../pipeline/stage-modules.ts';
import { buildProvenance, gitOf } from './provenance.ts';
import { leftOutClosure, runCells, statusOf, type RunResult, type StatusEntry } from '../engine/run.ts';
import { confirm, describePlan, fmtDuration, planRepro, shouldConfirm, storeHistory, type ReproPlan } from './repro-plan.ts';
import type { Executor } from '../engine/executor.ts';
import { openExecutor } from '../exec/index.ts';
import type { Project } from './project.ts';
import { openProject, projectOptions, reportDiagnostics } from './project.ts';
import { makeDisplay } from './display.ts';
import type { ReproOptions } from './options.ts';
import { printStatus } from './cmd-status.ts';
import { leftOutCells, selectTargets } from './targets.ts';

/** Runs `repro`; returns the exit code. */
export async function repro(o: ReproOptions, targets: readonly string[]): Promise<number> {
  const project = await openProject(projectOptions(o, { readOnly: Boolean(o.dryRun) }));
  if (!project.ok) return reportDiagnostics(project.error);
  const p = project.value;
  const selected = selectTargets(p.cells, targets);
  if (!selected.ok) {
    process.stderr.write(`hebb: ${selected.error}\n`);
    return 2;
  }
  const cells = selected.value;
  const without = leftOutCells(cells, o.without ?? []);
  if (!without.ok) {
    process.stderr.write(`hebb: ${without.error}\n`);
    return 2;
  }
  const leftOut = without.value;
  const allLeft = leftOutClosure(cells, leftOut);
  const planned = allLeft.size ? cells.filter((c) => !allLeft.has(c.name)) : cells;
  // A publish target that could delete the project, the store or code is refused before anything runs.
  const unsafe = checkPublishTargets(p.pipeline, p.store.dir, cells);
  if (unsafe.length > 0) return reportDiagnostics(unsafe);
  const jobs = Number(o.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    process.stderr.write(`hebb: --jobs must be a positive integer, got '${String(o.jobs)}'\n`);
    return 2;
  }
  const entries = await statusOf(cells, p.previewPlanner(), leftOut);
  if (o.dryRun) {
    printStatus(entries, p.profile, Boolean(o.json), 'would run');
    if (!o.json) await printPlan(o, p, planned, entries, jobs);
    return 0;
  }
  // The plan and its estimate first; a long run on a terminal asks before it starts.
  const plan = await printPlan(o, p, planned, entries, jobs);
  if (leftOut.size) {
    const byStage = new Map<string, number>();
    for (const c of cells) if (allLeft.has(c.name)) byStage.set(c.stage, (byStage.get(c.stage) ?? 0) + 1);
    const stages = [...byStage].map(([s, n]) => `${s} ×${n}`);
    process.stderr.write(`hebb: leaving out ${allLeft.size} cells (--without ${(o.without ?? []).join(' ')}, and what needs them): ${stages.slice(0, 8).join(', ')}${stages.length > 8 ? `, … ${stages.length - 8} more stages` : ''}; optional dependents run without them\n`);
  }
  if (shouldConfirm({ wallMs: plan.wallMs, yes: Boolean(o.yes), stdinTTY: Boolean(process.stdin.isTTY), stdoutTTY: Boolean(process.stdout.isTTY), env: process.env })) {
    if (!(await confirm(`hebb: start ${plan.toRun} cells, about ${fmtDuration(plan.wallMs)} at -j ${jobs}? [y/N] `))) {
      process.stderr.write(`hebb: not started (--yes or HEBB_YES=1 skips this question)\n`);
      return 1;
    }
  }
  const executor = await makeExecutor(o, p, jobs);
  if (!executor) return 2;
  const active = p.store.markActive();
  const abort = new AbortController();
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\nhebb: ${sig}: stopping; finished cells are kept (press again to quit at once)\n`);
    abort.abort();
    void executor.close();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const display = makeDisplay(process.stderr, { verbose: Boolean(o.verbose), forcePlain: Boolean(o.plain) });
  try {
    const startedAt = new Date();
    const git = gitOf(p.pipeline.root);
    const result = await runCells(cells, p.planner(), p.store, executor, display, { keepGoing: o.keepGoing !== false, signal: abort.signal, leftOut });
    const { summary } = result;
    await publish(p, cells, result, startedAt, git);
    if (interrupted) return 130;
    return summary.failed.length > 0 || summary.skipped > 0 ? 1 : 0;
  } finally {
    active.release();
    await executor.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Prints the plan (cells to run, cached, estimated CPU and wall time, the quick look) to stderr. */
async function printPlan(o: ReproOptions, p: Project, cells: readonly Cell[], entries: readonly StatusEntry[], jobs: number): Promise<ReproPlan> {
  const plan = planRepro(cells, entries, p.profile, jobs, storeHistory(p.store.dir, p.profile));
  let quick: ReproPlan | null = null;
  // What a quick look costs: the whole smoke profile, when this is another profile with work to do.
  if (plan.toRun > 0 && p.profile !== QUICK_PROFILE && p.pipeline.raw.profiles[QUICK_PROFILE]) {
    const q = await openProject(projectOptions(o, { profile: QUICK_PROFILE, set: [], readOnly: true }));
    if (q.ok) quick = planRepro(q.value.cells, await statusOf(q.value.cells, q.value.previewPlanner()), QUICK_PROFILE, jobs, storeHistory(q.value.store.dir, QUICK_PROFILE));
  }
  for (const line of describePlan(plan, quick, o.executor)) process.stderr.write(`${line}\n`);
  return plan;
}

/** The profile `repro` offers as a quick look before a long run. */
const QUICK_PROFILE = 'smoke';

/**
 * Copies the outputs of done cells that declare `publish:` to their place in the project, then
 * lets the stage add what only this run knows (its `publish` hook, given the run's provenance).
 */
async function publish(p: Project, cells: readonly Cell[], result: RunResult, startedAt: Date, git: ReturnType<typeof gitOf>): Promise<void> {
  for (const cell of cells) {
    const record = result.done.get(cell.name);
    if (!cell.publish || !record) continue;
    const target = resolve(p.pipeline.root, cell.publish);
    const view = p.store.materialize(record);
    const replaced = replacePublished(target, view, cell.name);
    if (!replaced.ok) {
      process.stderr.write(`hebb: not publishing ${cell.name}: ${replaced.error}\n`);
      continue;
    }
    const stage = await importStage(p.pipeline.root, cell.module);
    if (stage.publish) {
      try {
        await stage.publish({ dir: target, cell: cell.name, provenance: buildProvenance(p.pipeline.root, p.profile, cells, result, startedAt, git) });
      } catch (e) {
        process.stderr.write(`hebb: publishing ${cell.name}: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
    process.stderr.write(`hebb: published ${cell.name} → ${join(cell.publish)}\n`);
  }
}

/** The executor `--executor` names (the registry, src/exec/index.ts), with its settings; undefined after printing a config error. */
async function makeExecutor(o: ReproOptions, p: Project, jobs: number): Promise<Executor | undefined> {
  const made = await openExecutor(o.executor, p.pipeline, o.executorFlags, {
    artifacts: p.store.dir,
    workdir: process.cwd(),
    jobs,
    isolate: Boolean(o.isolate),
    say: (line) => process.stderr.write(`hebb: ${o.executor}: ${line}\n`),
  });
  if (made.ok) return made.value;
  reportDiagnostics(made.error);
  return undefined;
}
