/**
 * Where `publish:` may write. Publishing replaces a directory, so a target is refused (before
 * anything runs) when it is or holds something hebb must never delete: the project root, the
 * store, `.git`, pipeline.yaml, a stage or environment module, or a file git tracks (unless the
 * directory carries hebb's publish mark: a committed reference report is meant to be replaced by a
 * re-run, and git shows the difference). And hebb only
 * ever deletes a directory it created and marked itself (the `.hebb-published` file); an existing
 * directory without the mark is refused, not replaced.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Diagnostic } from '../pipeline/diagnostic.ts';
import type { Cell } from '../pipeline/expand.ts';
import type { LoadedPipeline } from '../pipeline/load.ts';
import { walkFiles } from '../store/store.ts';
import { err, ok, type Result } from '../util/result.ts';

/** The file that marks a directory as written by `hebb repro`'s publish step (and so replaceable). */
export const PUBLISH_MARKER = '.hebb-published';

/** Every problem with the publish targets of `cells`, as diagnostics at their `publish:` lines. */
export function checkPublishTargets(p: LoadedPipeline, storeDir: string, cells: readonly Cell[]): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const seen = new Set<string>();
  const root = real(p.root);
  const protectedPaths: Array<[string, string]> = [
    [real(storeDir), `the store (${relOrAbs(root, real(storeDir))})`],
    [join(root, '.git'), 'the git repository (.git)'],
    [real(join(p.root, basename(p.file))), basename(p.file)],
    ...Object.values(p.raw.stages).map((s): [string, string] => [real(resolve(p.root, s.run)), `the stage module ${s.run}`]),
    ...Object.values(p.raw.environment ?? {}).map((f): [string, string] => [real(resolve(p.root, f)), `the environment module ${f}`]),
  ];
  for (const cell of cells) {
    if (cell.publish === undefined) continue;
    const target = real(resolve(p.root, cell.publish));
    if (seen.has(target)) continue;
    seen.add(target);
    const at = (message: string, hint: string): void => void problems.push({ ...p.locate(['stages', cell.stage, 'publish']), message: `publish target '${cell.publish}' of stage '${cell.stage}' ${message}`, hint });
    const move = 'publish to a directory of its own, e.g. publish: reports/${profile.name}';
    if (within(target, root)) {
      at(target === root ? 'is the project root: publishing would delete the whole project' : 'contains the project root', move);
      continue;
    }
    const hit = protectedPaths.find(([path]) => within(target, path) || within(path, target));
    if (hit) {
      at(within(target, hit[0]) ? `${hit[0] === target ? 'is' : 'contains'} ${hit[1]}: publishing would delete it` : `lies inside ${hit[1]}`, move);
      continue;
    }
    // A directory hebb published and marked may be tracked (a committed reference report such as
    // reports/paper): replacing it is what a re-run is for, and git shows what moved.
    const tracked = existsSync(join(target, PUBLISH_MARKER)) ? [] : trackedFiles(root, target);
    if (tracked.length > 0) {
      at(`contains ${tracked.length} file${tracked.length === 1 ? '' : 's'} tracked by git (${tracked.slice(0, 3).join(', ')}${tracked.length > 3 ? ', …' : ''}): publishing would delete them`, move);
      continue;
    }
    const foreign = notOurs(target);
    if (foreign) at(foreign, `if it is an old report, remove it (rm -r ${relOrAbs(process.cwd(), target)}); otherwise ${move}`);
  }
  return problems;
}

/**
 * Replaces `target` with the files under `from` and marks it as ours. Deletes `target` only when
 * it carries the mark (or is an empty directory); otherwise returns why it left it alone.
 */
export function replacePublished(target: string, from: string, cell: string): Result<void, string> {
  const foreign = notOurs(target);
  if (foreign) return err(`${target} ${foreign}; it was left as it is`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  cpSync(from, target, { recursive: true, dereference: true });
  for (const f of walkFiles(target)) chmodSync(f, 0o644);
  writeFileSync(join(target, PUBLISH_MARKER), `${JSON.stringify({ publishedBy: 'hebb repro', cell, at: new Date().toISOString() })}\n`);
  return ok(undefined);
}

/** Why an existing `target` is not a directory hebb may replace; undefined when it is (or does not exist). */
function notOurs(target: string): string | undefined {
  let st;
  try {
    st = lstatSync(target);
  } catch {
    return undefined;
  }
  if (st.isSymbolicLink()) return 'exists and is a symbolic link, which hebb does not replace';
  if (!st.isDirectory()) return 'exists and is a file, not a directory hebb published';
  if (existsSync(join(target, PUBLISH_MARKER)) || readdirSync(target).length === 0) return undefined;
  return `exists and was not published by hebb (it has no ${PUBLISH_MARKER} mark), so it will not be replaced`;
}

/** Files git tracks at or under `target` (none when `root` is not in a git work tree or git is missing). */
function trackedFiles(root: string, target: string): string[] {
  try {
    const out = execFileSync('git', ['-C', root, 'ls-files', '-z', '--full-name', '--', relative(root, target) || '.'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return out.split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Whether `inner` is `outer` or lies inside it. */
function within(outer: string, inner: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
}

/** The real path of `p`, following symbolic links in its longest existing prefix. */
function real(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(real(parent), basename(abs));
  }
}

function relOrAbs(from: string, to: string): string {
  const r = relative(from, to);
  return r && !r.startsWith('..') ? r : to;
}
