/**
 * The artifact bundle format: a gzip'd tar whose first member is `manifest.json`, followed by
 * every other member in path order.
 *
 *   manifest.json              { schema, kind, profile, cells, files: [{path, sha256, size}] }
 *   lock.json                  what was run: every pipeline file's text (pipeline.yaml and its
 *                              includes), profile, each cell's key and code (bundle-pipeline.ts)
 *   runs/<key>.json            run records, byte for byte as in the store
 *   cas/ab/cdef…               the objects the records name (outputs and logs)
 *   <publish path>/…           published report files (e.g. reports/full/sum.json)
 *
 * The manifest lists every member but itself. A reader checks each member against it as it
 * streams by, so nothing unlisted, oversized or of the wrong kind is ever written anywhere.
 */
import { posix } from 'node:path';
import { lockedFiles, type LockedFile } from './bundle-pipeline.ts';
import { isCellName, isProfileName } from './schemas.ts';
import { tarPathProblem, tarTypeProblem } from '../util/tar-member.ts';

/** Name of the first member. */
export const MANIFEST = 'manifest.json';
/** Name of the lock member. */
export const LOCK = 'lock.json';
/** Largest JSON member (manifest, lock, record) a reader holds in memory. */
export const MAX_JSON_BYTES = 64 * 2 ** 20;

/** One member of the bundle as the manifest lists it. */
export interface ManifestFile {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/** A cell the bundle holds. */
export interface BundleCell {
  readonly cell: string;
  readonly stage: string;
  readonly key: string;
}

/** The table of contents: what the bundle claims, and every member's digest and size. */
export interface BundleManifest {
  readonly schema: 1;
  readonly kind: 'hebb-bundle';
  readonly profile: string;
  readonly cells: readonly BundleCell[];
  /** Sorted by path; every member except manifest.json. */
  readonly files: readonly ManifestFile[];
}

/** One cell of the lock: enough to say what code and params produced it. */
export interface LockCell extends BundleCell {
  readonly module: string;
  readonly params: unknown;
  /** The code identity from the record's fingerprint (files and packages with their digests). */
  readonly code: unknown;
  /** Where `repro` publishes the cell's outputs, '/'-separated, no trailing slash. */
  readonly publish?: string;
}

/** The lock schema export writes: 2 records every pipeline file; 1 (still read) the top-level file only. */
export const LOCK_SCHEMA = 2;

/** What was run. */
export interface BundleLock {
  /** As written in lock.json: 1 for a lock made before it recorded included files. */
  readonly schema: 1 | 2;
  readonly profile: string;
  /** The targets given to export (empty: the whole profile). */
  readonly targets: readonly string[];
  /**
   * Every file the pipeline loader read, in load order: the top-level file, then its includes.
   * A schema 1 lock.json holds `pipeline: {path, sha256, text}` (the top-level file alone); it is
   * read as a list of that one file.
   */
  readonly pipeline: { readonly files: readonly LockedFile[] };
  readonly cells: readonly LockCell[];
}

/** Why a bundle (or an export or import of one) was refused. */
export type BundleReason =
  /** The file cannot be read, or is not a gzip'd tar (or is truncated). */
  | 'bad-archive'
  /** The first member is not manifest.json. */
  | 'manifest-not-first'
  /** manifest.json or lock.json is not valid, or they disagree. */
  | 'bad-manifest'
  /** A member's path is absolute. */
  | 'absolute-path'
  /** A member's path contains `..`. */
  | 'parent-path'
  /** A member's path is empty, has empty or `.` segments, backslashes or control characters. */
  | 'bad-path'
  /** A member is a symbolic link. */
  | 'symlink'
  /** A member is a hard link. */
  | 'hardlink'
  /** A member is a device file, FIFO or another non-regular kind. */
  | 'special-file'
  /** A member is not listed in the manifest. */
  | 'not-in-manifest'
  /** A path occurs twice. */
  | 'duplicate-entry'
  /** The manifest lists a member the archive lacks. */
  | 'missing-entry'
  /** A member's size differs from the manifest's. */
  | 'size-mismatch'
  /** A member's SHA-256 differs from the manifest's. */
  | 'digest-mismatch'
  /** An object's name (cas/ab/cdef…) is not the SHA-256 of its content. */
  | 'object-name-mismatch'
  /** A run record is malformed, or its key is not the hash of its fingerprint. */
  | 'bad-record'
  /** A record names an object the bundle does not carry. */
  | 'record-missing-object'
  /** A published report file is not the output of the cell that publishes there. */
  | 'report-mismatch'
  /** Import: the store holds an object of the same name with other content (it is corrupt). */
  | 'store-conflict'
  /** Export: a selected cell is not in the store (or its objects are gone). */
  | 'not-cached'
  /** Export: a target names no stage or cell. */
  | 'unknown-target'
  /** The manifest declares more bytes than the cap (--max-bytes), or more JSON than a reader holds in memory. */
  | 'too-large'
  /** The manifest declares more unpacked bytes per archive byte than gzip can produce (bundle-limits.ts). */
  | 'too-compressed'
  /** Import: the store's filesystem has less free space than the bundle's objects need (checked before writing). */
  | 'no-space'
  /** Import: the filesystem refused a write (disk full, read-only, permissions) part-way. */
  | 'io-error';

/** A refusal: the reason, the member it concerns (if one), and what went wrong in words. */
export interface BundleProblem {
  readonly reason: BundleReason;
  readonly entry?: string;
  readonly message: string;
}

/** What to do about each kind of problem (the compiler checks every reason has one). */
const FIX: Record<BundleReason, string> = {
  'bad-archive': 'check the file was copied whole (compare its size or sha256sum with the sender\'s), or export it again',
  'manifest-not-first': 'make bundles with `hebb bundle export`; a repacked tar must keep manifest.json first',
  'bad-manifest': 'export the bundle again with `hebb bundle export`',
  'absolute-path': 'do not import this bundle: it tries to write outside its directory; ask the sender to export it again',
  'parent-path': 'do not import this bundle: it tries to write outside its directory; ask the sender to export it again',
  'bad-path': 'ask the sender to export the bundle again with `hebb bundle export`',
  symlink: 'bundles carry regular files only; ask the sender to export it again with `hebb bundle export`',
  hardlink: 'bundles carry regular files only; ask the sender to export it again with `hebb bundle export`',
  'special-file': 'bundles carry regular files only; ask the sender to export it again with `hebb bundle export`',
  'not-in-manifest': 'the archive was changed after export; ask the sender to export it again',
  'duplicate-entry': 'the archive was changed after export; ask the sender to export it again',
  'missing-entry': 'the file is incomplete or was changed after export; copy it again or ask for a new export',
  'size-mismatch': 'the file was damaged or changed after export; copy it again or ask for a new export',
  'digest-mismatch': 'the file was damaged or changed after export; copy it again or ask for a new export',
  'object-name-mismatch': 'the object was altered; ask the sender to run `hebb repro` (which re-verifies objects) and export again',
  'bad-record': 'the record was altered or comes from an incompatible hebb; ask the sender to export again',
  'record-missing-object': 'ask the sender to run `hebb repro` (which rebuilds lost objects) and export again',
  'report-mismatch': 'ask the sender to run `hebb repro` (which republishes the report) and export again',
  'store-conflict': 'your local object is corrupt: run `hebb repro` (it quarantines bad objects) or remove the file named, then import again',
  'not-cached': 'run `hebb repro` (with the same targets and --profile) first, then export',
  'unknown-target': 'name a stage or cell (see `hebb status`)',
  'too-large': 'if you trust the sender and have the space, raise the cap: hebb bundle import --max-bytes 200G (or $HEBB_BUNDLE_MAX_BYTES); otherwise ask for a smaller export (fewer targets)',
  'too-compressed': 'do not import this bundle: its manifest claims more data than the archive can hold; ask the sender to export it again with `hebb bundle export`',
  'no-space': 'free space on that filesystem (df -h), or import into a larger one (--artifacts <dir>), then import again',
  'io-error': 'fix the filesystem problem named (free space, permissions, a writable --artifacts), then run the same import again: it finishes the job',
};

/** A problem as people read it: "entry: what went wrong" and the fix on the next line. */
export function formatProblem(p: BundleProblem): string {
  return `${p.entry !== undefined ? `${p.entry}: ` : ''}${p.message} [${p.reason}]\n  fix: ${FIX[p.reason]}`;
}

/** What a member is, judged from its path alone. */
export type MemberRole =
  | { readonly kind: 'manifest' }
  | { readonly kind: 'lock' }
  | { readonly kind: 'record'; readonly key: string }
  | { readonly kind: 'object'; readonly digest: string }
  | { readonly kind: 'report' };

const HEX64 = /^[0-9a-f]{64}$/;

/** The role of a (safe) path, or a problem when it sits in a reserved place under a wrong name. */
export function roleOf(path: string): MemberRole | BundleProblem {
  if (path === MANIFEST) return { kind: 'manifest' };
  if (path === LOCK) return { kind: 'lock' };
  const record = /^runs\/([0-9a-f]{64})\.json$/.exec(path);
  if (record) return { kind: 'record', key: record[1]! };
  const object = /^cas\/([0-9a-f]{2})\/([0-9a-f]{62})$/.exec(path);
  if (object) return { kind: 'object', digest: object[1]! + object[2]! };
  if (path.startsWith('runs/') || path.startsWith('cas/') || path === 'runs' || path === 'cas') {
    return { reason: 'bad-path', entry: path, message: 'not a valid record (runs/<64 hex>.json) or object (cas/<2 hex>/<62 hex>) name' };
  }
  return { kind: 'report' };
}

/** Whether `x` is a problem rather than a value (roles, manifests and locks have no `reason`). */
export function isProblem<T extends object>(x: T | BundleProblem): x is BundleProblem {
  return 'reason' in x;
}

/** The problem with a member path, if any (checked before anything about the member is trusted). */
export function unsafePath(path: string): BundleProblem | undefined {
  const shared = tarPathProblem(path);
  if (shared?.kind === 'absolute-path') return { reason: 'absolute-path', entry: path, message: 'absolute path' };
  if (shared) return { reason: 'parent-path', entry: path, message: "path contains '..'" };
  const segments = path.split(/[\\/]/);
  // eslint-disable-next-line no-control-regex
  if (path === '' || path.includes('\\') || /[\u0000-\u001f]/.test(path) || segments.some((s) => s === '' || s === '.')) {
    return { reason: 'bad-path', entry: JSON.stringify(path), message: 'empty segment, `.`, backslash or control character in the path' };
  }
  return undefined;
}

/** The member kinds a tar may hold, as the `tar` package names them, sorted into what a bundle allows. */
export function typeProblem(path: string, type: string): BundleProblem | undefined {
  const p = tarTypeProblem(path, type, { directories: false });
  if (!p) return undefined;
  if (p.kind === 'symlink') return { reason: 'symlink', entry: path, message: 'symbolic link' };
  if (p.kind === 'hardlink') return { reason: 'hardlink', entry: path, message: 'hard link' };
  return { reason: 'special-file', entry: path, message: `a ${type} member, not a regular file` };
}

/** Checks a parsed manifest.json; returns it typed, or the problem. */
export function parseManifest(value: unknown): BundleManifest | BundleProblem {
  const bad = (message: string): BundleProblem => ({ reason: 'bad-manifest', entry: MANIFEST, message });
  if (!isObject(value)) return bad('expected a JSON object');
  if (value.schema !== 1 || value.kind !== 'hebb-bundle') return bad(`expected {"schema": 1, "kind": "hebb-bundle"}, got schema ${JSON.stringify(value.schema)}, kind ${JSON.stringify(value.kind)}`);
  if (!isProfileName(value.profile)) return bad(`expected "profile" to be a profile name (letters, digits, _ . -, not starting with a dot), got ${JSON.stringify(value.profile)?.slice(0, 80)}`);
  if (!Array.isArray(value.cells) || !value.cells.every((c) => isObject(c) && isCellName(c.cell) && typeof c.stage === 'string' && typeof c.key === 'string' && HEX64.test(c.key))) {
    return bad('expected "cells": [{cell, stage, key}] with cell names (stage or stage@suffix) and 64-hex keys');
  }
  if (!Array.isArray(value.files)) return bad('expected a "files" list');
  const seen = new Set<string>();
  for (const f of value.files as unknown[]) {
    if (!isObject(f) || typeof f.path !== 'string' || typeof f.sha256 !== 'string' || !HEX64.test(f.sha256) || !Number.isSafeInteger(f.size) || (f.size as number) < 0) {
      return bad(`expected files as {path, sha256 (64 hex), size}, got ${JSON.stringify(f).slice(0, 200)}`);
    }
    const unsafe = unsafePath(f.path);
    if (unsafe) return { ...unsafe, message: `the manifest lists an unsafe path (${unsafe.message})` };
    if (f.path === MANIFEST) return bad('the manifest lists itself');
    if (seen.has(f.path)) return { reason: 'duplicate-entry', entry: f.path, message: 'listed twice in the manifest' };
    seen.add(f.path);
    const role = roleOf(f.path);
    if (isProblem(role)) return role;
    if (role.kind === 'object' && role.digest !== f.sha256) {
      return { reason: 'object-name-mismatch', entry: f.path, message: `the manifest gives its SHA-256 as ${f.sha256}, not the name` };
    }
  }
  if (!seen.has(LOCK)) return bad('lock.json is not listed');
  return value as unknown as BundleManifest;
}

/** Checks a parsed lock.json against the manifest. */
export function parseLock(value: unknown, manifest: BundleManifest): BundleLock | BundleProblem {
  const bad = (message: string): BundleProblem => ({ reason: 'bad-manifest', entry: LOCK, message });
  if (!isObject(value) || (value.schema !== 1 && value.schema !== LOCK_SCHEMA)) return bad(`expected a JSON object with "schema": ${LOCK_SCHEMA} (or 1), got ${isObject(value) ? JSON.stringify(value.schema) : 'no object'}`);
  if (value.profile !== manifest.profile) return bad(`profile ${JSON.stringify(value.profile)} differs from the manifest's ${JSON.stringify(manifest.profile)}`);
  const files = lockedFiles(value.schema, value.pipeline, (path) => unsafePath(path)?.message);
  if (typeof files === 'string') return bad(files);
  if (!Array.isArray(value.targets) || !Array.isArray(value.cells)) return bad('expected "targets" and "cells" lists');
  const cells = value.cells as unknown[];
  const claimed = manifest.cells.map((c) => `${c.cell} ${c.key}`).join('\n');
  const locked = cells.map((c) => (isObject(c) ? `${String(c.cell)} ${String(c.key)}` : '?')).join('\n');
  if (claimed !== locked) return bad('its cells and keys differ from the manifest\'s');
  for (const c of cells) {
    if (!isObject(c) || typeof c.module !== 'string' || (c.publish !== undefined && typeof c.publish !== 'string')) return bad(`expected cells as {cell, stage, key, module, params, code, publish?}, got ${JSON.stringify(c).slice(0, 200)}`);
    if (typeof c.publish === 'string') {
      const unsafe = unsafePath(c.publish);
      if (unsafe) return { ...unsafe, entry: LOCK, message: `publish path ${JSON.stringify(c.publish)}: ${unsafe.message}` };
    }
  }
  return { ...(value as unknown as BundleLock), pipeline: { files } };
}

/** A cell's publish path as a bundle stores it: '/'-separated, normalized, no trailing slash; undefined if it leaves the project. */
export function normalizePublish(publish: string): string | undefined {
  const p = posix.normalize(publish.split('\\').join('/')).replace(/\/+$/, '');
  if (p === '' || p === '.' || unsafePath(p) || isProblem(roleOf(p)) || p === MANIFEST || p === LOCK) return undefined;
  return p;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
