/**
 * One YAML file of the pipeline (the top-level file or one it includes), parsed on its own so that
 * every diagnostic names that file and a line and column in it.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { err, ok, type Result } from '../util/result.ts';
import type { Diagnostic } from './diagnostic.ts';
import { decodeUtf8, documentToJs } from './yaml-text.ts';

/** A path into a pipeline document: map keys and list indices. */
export type DocPath = readonly (string | number)[];

/** A place in a pipeline file. */
export interface SourcePos {
  /** The file as diagnostics show it (relative to the working directory when possible). */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A parsed pipeline file. */
export interface SourceFile {
  /** Absolute path. */
  readonly path: string;
  /** The path diagnostics show. */
  readonly shown: string;
  /** The file's text, as read (decoded UTF-8). */
  readonly text: string;
  /** The file's contents as plain data (aliases expanded). */
  readonly value: unknown;
  /**
   * The place of `path` in this file (the key where a reader looks, else the value), or of its
   * nearest ancestor present here; `depth` is how many leading elements of `path` were found.
   */
  find(path: DocPath): SourcePos & { readonly depth: number };
}

/** The path of `abs` as diagnostics show it. */
export function shownPath(abs: string): string {
  return relative(process.cwd(), abs) || abs;
}

/** Reads and parses one pipeline file (which must exist): UTF-8, YAML syntax, aliases. */
export function readSourceFile(abs: string): Result<SourceFile, Diagnostic[]> {
  const shown = shownPath(abs);
  const decoded = decodeUtf8(readFileSync(abs), shown);
  if (!decoded.ok) return err([decoded.error]);
  const lineCounter = new LineCounter();
  const doc = parseDocument(decoded.value, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return err(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file: shown, line: pos.line, column: pos.col, message: `YAML syntax: ${e.message.split('\n')[0]}`, hint: 'fix the YAML syntax at this place' };
      }),
    );
  }
  const js = documentToJs(doc, (offset) => ({ file: shown, ...toPos(lineCounter, offset) }));
  if (!js.ok) return err([js.error]);
  return ok({ path: abs, shown, text: decoded.value, value: js.value, find: (path) => ({ file: shown, ...findIn(doc, lineCounter, path) }) });
}

function findIn(doc: Document, lc: LineCounter, path: DocPath): { line: number; column: number; depth: number } {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    // Prefer the key's position (where a reader looks), then the value's.
    if (n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(sub.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(sub[n - 1]));
        const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (range) return { ...toPos(lc, range[0]), depth: n };
      }
    }
    const node = n === 0 ? doc.contents : doc.getIn(sub, true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return { ...toPos(lc, range[0]), depth: n };
  }
  return { line: 1, column: 1, depth: 0 };
}

function toPos(lc: LineCounter, offset: number): { line: number; column: number } {
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}

/** True for a YAML map read as plain data (not a list, not null). */
export function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Describes a value for "expected X, got Y" messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (the key is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}
