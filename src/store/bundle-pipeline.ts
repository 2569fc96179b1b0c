/**
 * The pipeline a bundle was made from, as its lock records it: every file the loader read (the
 * top-level file, then the files it includes, in load order), each with its path relative to the
 * project root and its text. Locks of schema 1 (before `include:`) held the top-level file alone,
 * as `pipeline: {path, sha256, text}`; they are still read, as a list of that one file.
 */
import { sha256 } from '../util/hash.ts';

/** One pipeline file in a lock. */
export interface LockedFile {
  /** Relative to the project root, '/'-separated (the top-level file: its name). */
  readonly path: string;
  readonly sha256: string;
  readonly text: string;
}

/** A pipeline file as the exporter read it. */
export interface PipelineText {
  readonly path: string;
  readonly text: string;
}

/** The lock's `pipeline` entry for these files (schema 2). */
export function lockedPipeline(files: readonly PipelineText[]): { readonly files: readonly LockedFile[] } {
  return { files: files.map((f) => ({ path: f.path, sha256: sha256(f.text), text: f.text })) };
}

/**
 * The files of a lock's `pipeline` entry, in load order: schema 2's `{files: [...]}`, or schema
 * 1's single `{path, sha256, text}`. A string says what is wrong: a malformed entry, a path that
 * is absolute, has `..` or empty segments (`unsafe` says which), a path listed twice, or a digest
 * that is not the SHA-256 of its text.
 */
export function lockedFiles(schema: 1 | 2, pipeline: unknown, unsafe: (path: string) => string | undefined): LockedFile[] | string {
  const isFile = (f: unknown): f is LockedFile =>
    typeof f === 'object' && f !== null && ['path', 'sha256', 'text'].every((k) => typeof (f as Record<string, unknown>)[k] === 'string');
  let files: unknown[];
  if (schema === 1) {
    if (!isFile(pipeline)) return 'expected "pipeline": {path, sha256, text}';
    files = [pipeline];
  } else {
    const list = typeof pipeline === 'object' && pipeline !== null ? (pipeline as { files?: unknown }).files : undefined;
    if (!Array.isArray(list) || list.length === 0) return 'expected "pipeline": {"files": [{path, sha256, text}, ...]} with at least the top-level file';
    files = list;
  }
  const seen = new Set<string>();
  const out: LockedFile[] = [];
  for (const f of files) {
    if (!isFile(f)) return `expected pipeline files as {path, sha256, text}, got ${JSON.stringify(f)?.slice(0, 200)}`;
    const bad = unsafe(f.path);
    if (bad) return `pipeline file ${JSON.stringify(f.path)}: ${bad}`;
    if (seen.has(f.path)) return `pipeline file ${f.path} is listed twice`;
    seen.add(f.path);
    if (sha256(f.text) !== f.sha256) return `pipeline file ${f.path}: its sha256 is not the digest of its text`;
    out.push({ path: f.path, sha256: f.sha256, text: f.text });
  }
  return out;
}

/** How the local pipeline files differ from a lock's: each file named once, in load order. */
export interface PipelineDiff {
  /** Files both have, with other text (the top-level file named as the local one is). */
  readonly changed: readonly string[];
  /** Local files the bundle's pipeline did not have. */
  readonly onlyLocal: readonly string[];
  /** Files of the bundle's pipeline that this checkout does not read. */
  readonly onlyBundle: readonly string[];
}

/**
 * Compares the bundle's pipeline files with the local ones. The top-level files (the first of
 * each list) are compared whatever their names; the others by path. With `topOnly` (a schema 1
 * lock, which recorded no other file), only the top-level files are compared.
 */
export function diffPipeline(bundle: readonly LockedFile[], local: readonly PipelineText[], topOnly = false): PipelineDiff {
  const changed: string[] = [];
  const [bundleTop, ...bundleRest] = bundle;
  const [localTop, ...localRest] = local;
  if (localTop && bundleTop && sha256(localTop.text) !== bundleTop.sha256) changed.push(localTop.path);
  if (topOnly) return { changed, onlyLocal: [], onlyBundle: [] };
  const theirs = new Map(bundleRest.map((f) => [f.path, f]));
  const ours = new Set(localRest.map((f) => f.path));
  for (const f of localRest) {
    const t = theirs.get(f.path);
    if (t && t.sha256 !== sha256(f.text)) changed.push(f.path);
  }
  return {
    changed,
    onlyLocal: localRest.filter((f) => !theirs.has(f.path)).map((f) => f.path),
    onlyBundle: bundleRest.filter((f) => !ours.has(f.path)).map((f) => f.path),
  };
}

/** The differences in words ("pipeline.d/50-report.yaml differs; …"), or undefined when there are none. */
export function describePipelineDiff(d: PipelineDiff): string | undefined {
  const parts = [
    ...d.changed.map((p) => `${p} differs`),
    ...d.onlyLocal.map((p) => `${p} is not in the bundle's pipeline`),
    ...d.onlyBundle.map((p) => `the bundle's ${p} is not in yours`),
  ];
  return parts.length ? parts.join('; ') : undefined;
}
