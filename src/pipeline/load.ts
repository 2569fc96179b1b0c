/**
 * Phase 1 of the engine: read pipeline.yaml and the files it includes, resolve stage templates,
 * check the shape and the references once, and return a typed pipeline, or every problem found,
 * each with the file that holds it, a line, a column and a fix.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { err, ok, type Result } from '../util/result.ts';
import type { Diagnostic } from './diagnostic.ts';
import { findCycle } from './graph.ts';
import { interpolate } from './interpolate.ts';
import { readPipelineSources } from './include.ts';
import { pipelineSchema, stageSchema, type RawPipeline } from './schema.ts';
import { describeValue, shownPath, type DocPath, type SourcePos } from './source-file.ts';
import { resolveTemplates } from './templates.ts';
import { parseDuration } from './duration.ts';

/** A checked pipeline with a way back to source positions. */
export interface LoadedPipeline {
  /** Absolute path of the project root (the directory holding pipeline.yaml). */
  readonly root: string;
  /** Path of the top-level file as given to diagnostics (relative to cwd when possible). */
  readonly file: string;
  /** Every file read: the top-level file, then the included files in merge order. */
  readonly sources: readonly PipelineFile[];
  /** The merged pipeline, templates resolved. */
  readonly raw: RawPipeline;
  /**
   * Source position of a path in the merged pipeline (nearest existing ancestor), in the file
   * that defines it; for a stage's key inherited from a template, the template's line.
   */
  locate(path: DocPath): SourcePos;
}

/** One pipeline file the loader read: its absolute path and its text. */
export interface PipelineFile {
  readonly path: string;
  readonly text: string;
}

const STAGE_NAME = /^[a-z0-9][a-z0-9_-]*$/i;

/** Loads and checks `file` and the files it includes. Errors are values: a list of diagnostics. */
export function loadPipeline(file: string): Result<LoadedPipeline, Diagnostic[]> {
  const shown = shownPath(file);
  if (!existsSync(file)) {
    return err([{ file: shown, line: 0, column: 0, message: 'pipeline file not found', hint: 'run hebb in the project root or pass --pipeline <file>' }]);
  }
  const sources = readPipelineSources(file);
  if (!sources.ok) return sources;
  const src = sources.value;
  let chains: ReadonlyMap<string, readonly string[]> = new Map();
  const locate = (path: DocPath): SourcePos => {
    const own = src.find(path);
    let best = own;
    // A key the stage does not write itself comes from the nearest template that does.
    if (path[0] === 'stages' && path.length > 2 && own.depth < path.length) {
      for (const t of chains.get(String(path[1])) ?? []) {
        const pos = src.find(['templates', t, ...path.slice(2)]);
        if (pos.depth > best.depth) best = pos;
      }
    }
    return { file: best.file, line: best.line, column: best.column };
  };
  const at = (path: DocPath, message: string, hint?: string): Diagnostic => ({ ...locate(path), message, ...(hint ? { hint } : {}) });

  const resolved = resolveTemplates(src.merged, at);
  if (!resolved.ok) return resolved;
  chains = resolved.value.chains;
  const parsed = pipelineSchema.safeParse(resolved.value.value, { reportInput: true });
  if (!parsed.success) return err(schemaProblems(parsed.error.issues, at));
  const raw = parsed.data;
  const root = resolve(file, '..');
  const problems: Diagnostic[] = [];

  const profileNames = Object.keys(raw.profiles);
  if (profileNames.length === 0) problems.push(at(['profiles'], 'no profiles defined', 'define at least one profile under profiles:'));
  if (raw.default_profile !== undefined && !(raw.default_profile in raw.profiles)) {
    problems.push(at(['default_profile'], `default_profile '${raw.default_profile}' is not a profile (have: ${profileNames.join(', ')})`));
  }
  for (const [name, fact] of Object.entries(raw.environment ?? {})) {
    if (!existsSync(resolve(root, fact))) problems.push(at(['environment', name], `environment fact module not found: ${fact}`, 'give a path relative to pipeline.yaml'));
  }
  for (const [name, stage] of Object.entries(raw.stages)) {
    if (!STAGE_NAME.test(name)) problems.push(at(['stages', name], `invalid stage name '${name}'`, 'use letters, digits, - and _'));
    if (!existsSync(resolve(root, stage.run))) problems.push(at(['stages', name, 'run'], `stage module not found: ${stage.run}`, 'give a path relative to pipeline.yaml, e.g. stages/train.ts'));
    for (const p of stage.profiles ?? []) {
      if (!(p in raw.profiles)) problems.push(at(['stages', name, 'profiles'], `unknown profile '${p}' (have: ${profileNames.join(', ')})`));
    }
    for (const envName of stage.env ?? []) {
      if (envName !== 'node' && !(envName in (raw.environment ?? {}))) {
        problems.push(at(['stages', name, 'env'], `unknown environment fact '${envName}'`, `declare it under environment: (have: node${Object.keys(raw.environment ?? {}).map((k) => ', ' + k).join('')})`));
      }
    }
    for (const [depName, target] of Object.entries(stage.deps ?? {})) {
      for (const { profile, upstream, error } of depTargets(raw, stage, target)) {
        const where = profile ? ` in profile '${profile}'` : '';
        if (error !== undefined) problems.push(at(['stages', name, 'deps', depName], `dep '${depName}'${where}: ${error}`));
        else if (!(upstream in raw.stages)) {
          problems.push(at(['stages', name, 'deps', depName], `dep '${depName}'${where} names unknown stage '${upstream}'`, `one of: ${Object.keys(raw.stages).join(', ')}`));
        }
      }
    }
    const seen = new Set<string>();
    for (const [i, out] of stage.outs.entries()) {
      if (out.startsWith('/') || out.split('/').includes('..')) problems.push(at(['stages', name, 'outs', i], `output '${out}' must be a relative path inside the cell's output directory`));
      if (seen.has(out)) problems.push(at(['stages', name, 'outs', i], `output '${out}' is declared twice`));
      seen.add(out);
    }
    if (stage.timeout !== undefined) {
      const t = parseDuration(stage.timeout);
      if (!t.ok) problems.push(at(['stages', name, 'timeout'], `timeout ${JSON.stringify(stage.timeout)}: ${t.error}`, "write seconds (600) or a duration ('90s', '30m', '6h', '1h30m'), or 'none' for no limit"));
    }
    for (const axis of Object.keys(stage.matrix ?? {})) {
      if (stage.params && axis in stage.params) problems.push(at(['stages', name, 'matrix', axis], `matrix axis '${axis}' is also a param of stage '${name}'`, 'rename one of them'));
    }
  }
  // A dep that names its stage through the profile (`${profile.sce.dataset}`) adds an edge per profile.
  const edges = new Map(Object.entries(raw.stages).map(([n, st]) => [n, Object.values(st.deps ?? {}).flatMap((t) => depTargets(raw, st, t).map((d) => d.upstream))]));
  const cycle = findCycle(edges);
  if (cycle) problems.push(at(['stages', cycle[0]!, 'deps'], `dependency cycle: ${cycle.join(' → ')}`, 'remove one of these deps'));
  if (problems.length > 0) return err(problems);
  return ok({ root, file: shown, sources: src.files.map((f) => ({ path: f.path, text: f.text })), raw, locate });
}

type At = (path: DocPath, message: string, hint?: string) => Diagnostic;

/**
 * The schema's issues as diagnostics. An issue inside a template is reported once, at the
 * template, not again for every stage that inherits it.
 */
function schemaProblems(issues: readonly z.core.$ZodIssue[], at: At): Diagnostic[] {
  const out: Diagnostic[] = [];
  const inTemplates = new Set<string>();
  for (const issue of issues) {
    const d = issueToDiagnostic(issue, at);
    const place = `${d.file}:${d.line}:${d.column}`;
    if (issue.path[0] === 'templates') inTemplates.add(place);
    else if (inTemplates.has(place)) continue;
    out.push(d);
  }
  return out;
}

function issueToDiagnostic(issue: z.core.$ZodIssue, at: At): Diagnostic {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const where = path.length ? path.join('.') : 'the top level';
  switch (issue.code) {
    case 'unrecognized_keys': {
      const expected = expectedKeys(path);
      return at([...path, issue.keys[0]!], `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} in ${where}`, expected ? `expected one of: ${expected}` : undefined);
    }
    case 'invalid_type':
      return at(path, `${where}: expected ${issue.expected}, got ${describeValue(issue.input)}`);
    case 'invalid_value':
      return at(path, `${where}: expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(issue.input)}`);
    default:
      return at(path, `${where}: ${issue.message}`);
  }
}

function expectedKeys(path: readonly (string | number)[]): string | undefined {
  if (path.length === 0) return Object.keys(pipelineSchema.shape).join(', ');
  if (path.length === 2 && (path[0] === 'stages' || path[0] === 'templates')) return `${Object.keys(stageSchema.shape).join(', ')}, extends`;
  if (path.length === 1 && path[0] === 'cache') return 'shared';
  if (path.length === 1 && path[0] === 'limits') return 'max_cells';
  return undefined;
}

/**
 * The upstream stage a dep names, per profile the stage runs in when the dep is written with a
 * `${profile.…}` reference (one entry, profile null, when it is a plain name). `error` says why a
 * reference does not resolve in a profile.
 */
function depTargets(raw: RawPipeline, stage: RawPipeline['stages'][string], target: string): { profile: string | null; upstream: string; error?: string }[] {
  const name = (t: string): string => t.replace(/\?$/, '').split('@')[0]!;
  if (!target.includes('${')) return [{ profile: null, upstream: name(target) }];
  return (stage.profiles ?? Object.keys(raw.profiles)).filter((p) => p in raw.profiles).map((p) => {
    const v = interpolate(target, { profile: raw.profiles[p] as Record<string, unknown>, matrix: {} });
    return v.ok && typeof v.value === 'string' ? { profile: p, upstream: name(v.value) } : { profile: p, upstream: '', error: v.ok ? `resolves to ${JSON.stringify(v.value)}, not a stage name` : v.error };
  });
}
