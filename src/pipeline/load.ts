/**
 * Phase 1 of the engine: read pipeline.yaml, check its shape and its references once, and
 * return a typed pipeline, or every problem found, each with file, line and column.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { err, ok, type Result } from '../util/result.ts';
import type { Diagnostic } from './diagnostic.ts';
import { findCycle } from './graph.ts';
import { pipelineSchema, type RawPipeline } from './schema.ts';
import { decodeUtf8, documentToJs } from './yaml-text.ts';
import { parseDuration } from './duration.ts';

/** A checked pipeline.yaml with a way back to source positions. */
export interface LoadedPipeline {
  /** Absolute path of the project root (the directory holding pipeline.yaml). */
  readonly root: string;
  /** Path of the file as given to diagnostics (relative to cwd when possible). */
  readonly file: string;
  readonly raw: RawPipeline;
  /** Source position of a path in the document (nearest existing ancestor). */
  locate(path: readonly (string | number)[]): { line: number; column: number };
}

const STAGE_NAME = /^[a-z0-9][a-z0-9_-]*$/i;

/** Loads and checks `file`. Errors are values: a list of diagnostics. */
export function loadPipeline(file: string): Result<LoadedPipeline, Diagnostic[]> {
  const shown = relative(process.cwd(), file) || file;
  if (!existsSync(file)) {
    return err([{ file: shown, line: 0, column: 0, message: 'pipeline file not found', hint: 'run hebb in the project root or pass --pipeline <file>' }]);
  }
  const decoded = decodeUtf8(readFileSync(file), shown);
  if (!decoded.ok) return err([decoded.error]);
  const text = decoded.value;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return err(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file: shown, line: pos.line, column: pos.col, message: `YAML syntax: ${e.message.split('\n')[0]}`, hint: 'fix the YAML syntax at this place' };
      }),
    );
  }
  const locate = makeLocator(doc, lineCounter);
  const at = (path: readonly (string | number)[], message: string, hint?: string): Diagnostic => ({ file: shown, ...locate(path), message, ...(hint ? { hint } : {}) });

  const js = documentToJs(doc, (offset) => ({ file: shown, ...toPos(lineCounter, offset) }));
  if (!js.ok) return err([js.error]);
  const parsed = pipelineSchema.safeParse(js.value, { reportInput: true });
  if (!parsed.success) return err(parsed.error.issues.map((i) => issueToDiagnostic(i, at)));
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
      const upstream = target.replace(/\?$/, '').split('@')[0]!;
      if (!(upstream in raw.stages)) {
        problems.push(at(['stages', name, 'deps', depName], `dep '${depName}' names unknown stage '${upstream}'`, `one of: ${Object.keys(raw.stages).join(', ')}`));
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
  const edges = new Map(Object.entries(raw.stages).map(([n, s]) => [n, Object.values(s.deps ?? {}).map((t) => t.replace(/\?$/, '').split('@')[0]!)]));
  const cycle = findCycle(edges);
  if (cycle) problems.push(at(['stages', cycle[0]!, 'deps'], `dependency cycle: ${cycle.join(' → ')}`, 'remove one of these deps'));
  if (problems.length > 0) return err(problems);
  return ok({ root, file: shown, raw, locate });
}

function makeLocator(doc: Document, lc: LineCounter) {
  return (path: readonly (string | number)[]): { line: number; column: number } => {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      // Prefer the key's position (where a reader looks), then the value's.
      if (n > 0) {
        const parent = n === 1 ? doc.contents : doc.getIn(sub.slice(0, -1), true);
        if (isMap(parent)) {
          const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(sub[n - 1]));
          const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
          if (range) return toPos(lc, range[0]);
        }
      }
      const node = n === 0 ? doc.contents : doc.getIn(sub, true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) return toPos(lc, range[0]);
    }
    return { line: 1, column: 1 };
  };
}

function toPos(lc: LineCounter, offset: number): { line: number; column: number } {
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}

type At = (path: readonly (string | number)[], message: string, hint?: string) => Diagnostic;

function issueToDiagnostic(issue: z.core.$ZodIssue, at: At): Diagnostic {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const where = path.length ? path.join('.') : 'the top level';
  switch (issue.code) {
    case 'unrecognized_keys': {
      const expected = expectedKeys(path);
      return at([...path, issue.keys[0]!], `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} in ${where}`, expected ? `expected one of: ${expected}` : undefined);
    }
    case 'invalid_type':
      return at(path, `${where}: expected ${issue.expected}, got ${describe(issue.input)}`);
    case 'invalid_value':
      return at(path, `${where}: expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describe(issue.input)}`);
    default:
      return at(path, `${where}: ${issue.message}`);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the key is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function expectedKeys(path: readonly (string | number)[]): string | undefined {
  if (path.length === 0) return Object.keys(pipelineSchema.shape).join(', ');
  if (path.length === 2 && path[0] === 'stages') return 'description, run, params, matrix, name, deps, outs, env, profiles, publish, timeout';
  if (path.length === 1 && path[0] === 'cache') return 'shared';
  if (path.length === 1 && path[0] === 'limits') return 'max_cells';
  return undefined;
}
