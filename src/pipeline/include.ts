/**
 * `include:` in the top-level pipeline file: the files it names (a path, or a glob such as
 * `pipeline.d/*.yaml`, in name order) are read one by one and merged into one pipeline, in order.
 * Each entry remembers the file it came from, so a diagnostic points into that file's own lines.
 *
 * An included file may hold only `environment`, `profiles`, `templates` and `stages`; a name
 * (stage, template, environment fact, or one variable of a profile) may be defined once in all the
 * files together. Includes do not nest: an included file with `include:` is an error.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { err, ok, type Result } from '../util/result.ts';
import type { Diagnostic } from './diagnostic.ts';
import { describeValue, isPlainMap, readSourceFile, shownPath, type DocPath, type SourceFile, type SourcePos } from './source-file.ts';

/** The sections an included file may hold. */
export const INCLUDABLE_SECTIONS = ['environment', 'profiles', 'templates', 'stages'] as const;

/** The pipeline files read, merged into one value, and which file defines each entry. */
export interface PipelineSources {
  /** The top-level file first, then the included files in the order they were merged. */
  readonly files: readonly SourceFile[];
  /** All files merged into one pipeline document, as plain data. */
  readonly merged: unknown;
  /** The place of `path` in the merged document, in the file that defines it. */
  find(path: DocPath): SourcePos & { readonly depth: number };
}

/** Reads `file` (which must exist) and every file its `include:` names, and merges them. */
export function readPipelineSources(file: string): Result<PipelineSources, Diagnostic[]> {
  const top = readSourceFile(file);
  if (!top.ok) return top;
  const owners = new Map<string, SourceFile>();
  const files: SourceFile[] = [top.value];
  const find = (path: DocPath): SourcePos & { depth: number } => {
    for (let n = Math.min(path.length, 3); n >= 1; n--) {
      const owner = owners.get(ownerKey(path.slice(0, n)));
      if (owner) return owner.find(path);
    }
    return top.value.find(path);
  };
  const topValue = top.value.value;
  if (!isPlainMap(topValue) || topValue.include === undefined) return ok({ files, merged: topValue, find });

  const problems: Diagnostic[] = [];
  const at = (src: SourceFile, path: DocPath, message: string, hint: string): Diagnostic => {
    const { depth: _depth, ...pos } = src.find(path);
    return { ...pos, message, hint };
  };
  const paths = includedPaths(top.value, topValue.include, (path, message, hint) => problems.push(at(top.value, path, message, hint)));
  const merged: Record<string, unknown> = { ...topValue };
  for (const section of INCLUDABLE_SECTIONS) {
    if (section in merged) owners.set(ownerKey([section]), top.value);
    if (isPlainMap(merged[section])) merged[section] = { ...merged[section] };
    for (const name of isPlainMap(merged[section]) ? Object.keys(merged[section]) : []) owners.set(ownerKey([section, name]), top.value);
  }
  if (isPlainMap(merged.profiles)) {
    for (const [p, vars] of Object.entries(merged.profiles)) {
      if (isPlainMap(vars)) merged.profiles[p] = { ...vars };
      for (const v of isPlainMap(vars) ? Object.keys(vars) : []) owners.set(ownerKey(['profiles', p, v]), top.value);
    }
  }

  for (const abs of paths) {
    const read = readSourceFile(abs);
    if (!read.ok) {
      problems.push(...read.error);
      continue;
    }
    const src = read.value;
    files.push(src);
    const value = src.value ?? {};
    if (!isPlainMap(value)) {
      problems.push({ file: src.shown, line: 1, column: 1, message: `an included pipeline file must be a map of ${INCLUDABLE_SECTIONS.join(', ')}; got ${describeValue(value)}`, hint: 'write e.g. "stages:" at the top level of the file' });
      continue;
    }
    for (const [section, body] of Object.entries(value)) {
      if (!(INCLUDABLE_SECTIONS as readonly string[]).includes(section)) {
        problems.push(at(src, [section], ...misplacedKey(section, top.value.shown)));
        continue;
      }
      if (body === null) continue;
      if (!isPlainMap(body)) {
        problems.push(at(src, [section], `${section}: expected a map, got ${describeValue(body)}`, `write ${section}: as a map of names to entries`));
        continue;
      }
      if (!owners.has(ownerKey([section]))) owners.set(ownerKey([section]), src);
      const into = isPlainMap(merged[section]) ? merged[section] : (merged[section] = {});
      if (section === 'profiles') mergeProfiles(into, body, src, owners, problems, at);
      else mergeEntries(into, body, [section], src, owners, problems, at);
    }
  }
  return problems.length ? err(problems) : ok({ files, merged, find });
}

type At = (src: SourceFile, path: DocPath, message: string, hint: string) => Diagnostic;

/** Adds each entry of `body` to `into`, refusing a name that another file already defined. */
function mergeEntries(into: Record<string, unknown>, body: Record<string, unknown>, prefix: DocPath, src: SourceFile, owners: Map<string, SourceFile>, problems: Diagnostic[], at: At): void {
  for (const [name, entry] of Object.entries(body)) {
    const path = [...prefix, name];
    const first = owners.get(ownerKey(path));
    if (first) {
      const { file, line, column } = first.find(path);
      problems.push(at(src, path, `${entryLabel(path)} is already defined at ${file}:${line}:${column}`, 'define each name in one file only: rename or remove one of them'));
      continue;
    }
    into[name] = entry;
    owners.set(ownerKey(path), src);
  }
}

/** Merges profiles variable by variable: each file may add variables to any profile. */
function mergeProfiles(into: Record<string, unknown>, body: Record<string, unknown>, src: SourceFile, owners: Map<string, SourceFile>, problems: Diagnostic[], at: At): void {
  for (const [profile, vars] of Object.entries(body)) {
    if (vars === null) continue;
    if (!isPlainMap(vars)) {
      problems.push(at(src, ['profiles', profile], `profiles.${profile}: expected a map of variables, got ${describeValue(vars)}`, 'write the profile as a map, e.g. sre: { n_train: 2048 }'));
      continue;
    }
    const target = isPlainMap(into[profile]) ? into[profile] : (into[profile] = {});
    if (!owners.has(ownerKey(['profiles', profile]))) owners.set(ownerKey(['profiles', profile]), src);
    mergeEntries(target, vars, ['profiles', profile], src, owners, problems, at);
  }
}

/** The files `include:` names, in merge order; reports bad entries through `report`. */
function includedPaths(top: SourceFile, include: unknown, report: (path: DocPath, message: string, hint: string) => void): string[] {
  const entries: Array<[unknown, DocPath]> = Array.isArray(include) ? include.map((e, i) => [e, ['include', i]]) : [[include, ['include']]];
  const root = dirname(top.path);
  const out: string[] = [];
  for (const [entry, path] of entries) {
    if (typeof entry !== 'string' || entry === '') {
      report(path, `include: expected a file or a glob such as pipeline.d/*.yaml, got ${describeValue(entry)}`, 'write include: pipeline.d/*.yaml, or a list of files relative to the project root');
      continue;
    }
    const parts = entry.split('/');
    if (entry.startsWith('/') || parts.includes('..')) {
      report(path, `include '${entry}' must name a file inside the project`, 'give a path relative to the project root, without ..');
      continue;
    }
    if (parts.slice(0, -1).some((p) => p.includes('*'))) {
      report(path, `include '${entry}': only the file name may hold a *`, 'write a pattern such as pipeline.d/*.yaml');
      continue;
    }
    const found = expand(root, entry);
    if (found.length === 0) {
      if (entry.includes('*')) report(path, `include '${entry}' matches no file`, `add a file that matches it in ${dirname(entry)}/, or fix the pattern`);
      else report(path, `included file not found: ${entry}`, 'create the file, or remove it from include: (paths are relative to the project root)');
    }
    for (const abs of found) {
      if (abs === top.path) report(path, `include '${entry}' names ${top.shown} itself`, `include only other files; ${top.shown} is read first anyway`);
      else if (out.includes(abs)) report(path, `include '${entry}': ${shownPath(abs)} is included twice`, 'list each file once (a glob already includes every file it matches)');
      else out.push(abs);
    }
  }
  return out;
}

/** A plain path, or the files of its directory that match its `*` pattern, in name order. */
function expand(root: string, entry: string): string[] {
  if (!entry.includes('*')) return existsSync(resolve(root, entry)) && statSync(resolve(root, entry)).isFile() ? [resolve(root, entry)] : [];
  const dir = resolve(root, dirname(entry));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const base = entry.split('/').pop()!;
  const re = new RegExp(`^${base.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  return readdirSync(dir)
    .filter((f) => re.test(f) && !f.startsWith('.'))
    .sort()
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

function misplacedKey(key: string, topShown: string): [string, string] {
  if (key === 'include') return ['includes do not nest: an included file cannot have include:', `list the files in ${topShown}'s include: instead`];
  if (['version', 'default_profile', 'executors', 'cache', 'limits'].includes(key)) return [`'${key}' belongs in the top-level file ${topShown}, not in an included file`, `move it to ${topShown}`];
  return [`unknown key '${key}' in an included file`, `expected one of: ${INCLUDABLE_SECTIONS.join(', ')}`];
}

/** "stage 'x'", "template 'x'", "environment fact 'x'", "profile variable 'paper.sre'". */
function entryLabel(path: DocPath): string {
  if (path[0] === 'profiles') return `profile variable '${path.slice(1).join('.')}'`;
  if (path[0] === 'environment') return `environment fact '${String(path[1])}'`;
  return `${String(path[0]).slice(0, -1)} '${String(path[1])}'`;
}

function ownerKey(path: DocPath): string {
  return JSON.stringify(path);
}
