/**
 * The `hebb` CLI: one short handler per command. Heavy modules load lazily, so `status`, `dag`
 * and `show` never load tfjs. Exit codes: 0 ok, 1 a cell or check failed, 2 bad input, 130 interrupted.
 */
import { Command, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { formatIoFailure, ioFailure } from '../util/io-error.ts';
import { EXECUTORS, executorFlags, executorFlagValues } from '../exec/index.ts';
import type { BundleExportOptions, BundleReadOptions, CheckOptions, CompareOptions, DagOptions, FsckOptions, GcOptions, GlobalOptions, ReproOptions, RunCellCommandOptions, ShowOptions, StatusOptions } from './options.ts';

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('hebb')
    .description('A content-hashed reproducibility pipeline for "Emergence of Hebbian Dynamics in Regularized Non-Local Learners"')
    .option('-p, --pipeline <file>', 'pipeline file', 'pipeline.yaml')
    .option('--artifacts <dir>', 'artifacts directory (default: artifacts/ beside pipeline.yaml, or $HEBB_ARTIFACTS)')
    .option('--cache-dir <dir>', "a shared cache read before and written after each cell (or $HEBB_CACHE_DIR, or pipeline.yaml's cache.shared)")
    .showHelpAfterError()
    .exitOverride();

  const common = (cmd: Command): Command =>
    cmd
      .option('--profile <name>', 'profile (default: the pipeline\'s default_profile)')
      .option('-s, --set <stage.param=value>', 'override a param for this run (repeatable)', collect, [] as string[])
      .option('--backend <name>', 'force the compute backend (sets HEBB_BACKEND): tensorflow-gpu, tensorflow, wasm, cpu');

  const repro = common(program.command('repro').description('run the pipeline: every stale cell, in dependency order').argument('[targets...]', 'stages or cells to bring up to date (with their upstream); default: all'))
    .option('-j, --jobs <n>', 'cells run in parallel', String(availableParallelism()))
    .option('--no-keep-going', 'stop starting cells after the first failure')
    .option('--without <stage|cell>', 'leave these cells out of this run (repeatable); a cell needing one through an optional dep (stage?) runs without it, others are skipped', collect, [] as string[])
    .option('-n, --dry-run', 'say what would run and why, run nothing')
    .option('--json', 'with --dry-run: machine-readable output')
    .option('--isolate', 'one fresh process per cell (default: reuse worker processes)')
    .option('-v, --verbose', 'also list cached cells')
    .option('--plain', 'plain line logs even on a terminal')
    .option('-y, --yes', 'start a long run (estimate over an hour) without asking (also HEBB_YES=1); never asked in CI or off a terminal')
    .addOption(new Option('--executor <name>', 'where cells run').choices(EXECUTORS.map((e) => e.name)).default(EXECUTORS[0]!.name));
  // Each executor's settings, as flags generated from its table (src/exec/index.ts, settings.ts).
  for (const f of executorFlags()) {
    if (f.repeatable) repro.option(f.flags, f.help, collect, [] as string[]);
    else repro.option(f.flags, f.help);
  }
  repro.action(async (targets: string[], o: Record<string, unknown>) => {
    exitCode = await (await import('./cmd-repro.ts')).repro({ ...globalOpts<ReproOptions>(program, o), executorFlags: executorFlagValues(o) }, targets);
  });
  common(program.command('status').description('what is stale, and why'))
    .option('--json', 'machine-readable output')
    .option('--without <stage|cell>', 'as with repro --without: plan without these cells (repeatable)', collect, [] as string[])
    .action(async (o) => {
      exitCode = await (await import('./cmd-status.ts')).status(globalOpts<StatusOptions>(program, o));
    });
  common(program.command('dag').description('the stage graph'))
    .addOption(new Option('--format <f>', 'output format').choices(['text', 'mermaid', 'dot']).default('text'))
    .action(async (o) => {
      exitCode = await (await import('./cmd-dag.ts')).dag(globalOpts<DagOptions>(program, o));
    });
  common(program.command('show').description("a cell's record: params, key breakdown, outputs, timings").argument('<cell>'))
    .option('--json', 'machine-readable output')
    .action(async (cell: string, o) => {
      exitCode = await (await import('./cmd-show.ts')).show(globalOpts<ShowOptions>(program, o), cell);
    });
  common(program.command('check').description('the trend checks of the current run: PASS / FAIL / SKIPPED; exit 1 on a FAIL'))
    .option('--require-all', 'a SKIPPED gating check (missing cells) counts as a failure')
    .option('--junit <file>', 'also write the checks as JUnit XML')
    .option('--stage <name>', 'the stage that evaluates the checks', 'check')
    .option('--without <stage|cell>', 'as with repro --without: plan without these cells (repeatable)', collect, [] as string[])
    .action(async (o) => {
      exitCode = await (await import('./cmd-check.ts')).check(globalOpts<CheckOptions>(program, o));
    });
  program
    .command('compare')
    .description('compare a later run with a reference report (e.g. reports/paper): Table 1 entries, check verdicts, boundary fits; exit 1 when something moved')
    .argument('<reference>', 'a report directory (holding report-inputs.json)')
    .argument('[current]', 'another report directory (default: the last report this store built for the reference\'s profile)')
    .option('--profile <name>', 'the profile of the current report (default: the reference\'s)')
    .option('--tol <x>', 'smallest change of a Table 1 mean that counts', '0.01')
    .option('--fit-tol <x>', 'smallest change of the boundary exponent b or R² that counts', '0.01')
    .option('--json', 'machine-readable output')
    .action(async (reference: string, current: string | undefined, o) => {
      exitCode = await (await import('./cmd-compare.ts')).compare(globalOpts<CompareOptions>(program, o), reference, current);
    });
  program
    .command('gc')
    .description('drop cache objects and records that no profile\'s current cells refer to')
    .option('-n, --dry-run', 'say what would be removed')
    .option('--force', 'run even while a hebb repro uses the store')
    .action(async (o) => {
      exitCode = await (await import('./cmd-gc.ts')).gc(globalOpts<GcOptions>(program, o));
    });
  program
    .command('fsck')
    .description('re-verify the whole store: re-hash every object, check every record, spec, view, index entry and cache; exit 1 with a list when anything is wrong')
    .option('--repair', 'quarantine bad objects, records and specs; remove bad views, index entries and caches (their cells run again)')
    .option('--force', 'repair even while a hebb repro uses the store')
    .action(async (o) => {
      exitCode = await (await import('./cmd-fsck.ts')).fsck(globalOpts<FsckOptions>(program, o));
    });
  const bundle = program.command('bundle').description('share cached results as one self-checking .tar.gz');
  bundle
    .command('export')
    .description('pack the current cells (all, or targets and their upstream), their objects, a lock and the report')
    .argument('[targets...]', 'stages or cells (with their upstream); default: the whole profile')
    .requiredOption('-o, --output <file>', 'the bundle to write (.tar.gz)')
    .option('--profile <name>', 'profile (default: the pipeline\'s default_profile)')
    .action(async (targets: string[], o) => {
      exitCode = await (await import('./cmd-bundle.ts')).bundleExport(globalOpts<BundleExportOptions>(program, o), targets);
    });
  bundle
    .command('import')
    .description('check a bundle, then add its objects and records to the store')
    .argument('<file>')
    .option('--max-bytes <size>', 'refuse a bundle that declares more unpacked bytes (e.g. 200G; default 64G or $HEBB_BUNDLE_MAX_BYTES)')
    .action(async (file: string, o) => {
      exitCode = await (await import('./cmd-bundle.ts')).bundleImport(globalOpts<BundleReadOptions>(program, o), file);
    });
  bundle
    .command('verify')
    .description('check a bundle without importing it, and print what it claims')
    .argument('<file>')
    .option('--max-bytes <size>', 'refuse a bundle that declares more unpacked bytes (e.g. 200G; default 64G or $HEBB_BUNDLE_MAX_BYTES)')
    .action(async (file: string, o) => {
      exitCode = await (await import('./cmd-bundle.ts')).bundleVerify(globalOpts<BundleReadOptions>(program, o), file);
    });
  program
    .command('run-cell')
    .description('run one planned cell from the artifacts directory (what executors call)')
    .argument('<key>')
    .option('--attempt <id>', "the executor's name for this attempt (e.g. a Slurm task), kept in the outcome record results/<key>.json")
    .action(async (key: string, o) => {
      exitCode = await (await import('./cmd-cell.ts')).runCellCommand(globalOpts<RunCellCommandOptions>(program, o), key);
    });
  program
    .command('worker', { hidden: true })
    .description('serve run-cell requests over IPC (used by the local executor)')
    .action(async () => {
      await (await import('./cmd-cell.ts')).workerLoop(globalOpts<GlobalOptions>(program, {}));
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    const code = (e as { code?: string; exitCode?: number }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
    if (code?.startsWith('commander.')) return 2;
    // The filesystem refused (disk full, read-only store, ...): say where and what to do; exit 1.
    const io = ioFailure(e);
    if (io) {
      process.stderr.write(`hebb: ${formatIoFailure(io)}\n`);
      return 1;
    }
    process.stderr.write(`hebb: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 70;
  }
  return exitCode;
}

/**
 * A command's options merged with the program's, typed as that command declares them above
 * (cli/options.ts; commander does not infer them). Applies `--backend` and `--cache-dir`, which
 * reach worker processes through the environment.
 */
function globalOpts<T extends GlobalOptions>(program: Command, o: Record<string, unknown>): T {
  const g = program.opts<{ pipeline: string; artifacts?: string; cacheDir?: string }>();
  if (typeof o.backend === 'string') process.env.HEBB_BACKEND = o.backend;
  if (g.cacheDir) process.env.HEBB_CACHE_DIR = resolve(g.cacheDir);
  return { ...o, pipeline: g.pipeline, ...(g.artifacts ? { artifacts: g.artifacts } : {}) } as unknown as T;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}
