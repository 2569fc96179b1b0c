/**
 * One zod schema per kind of file the store holds, and the names a path may be built from.
 *
 * Everything read back from the store (run records, specs, index entries, the .state caches, a
 * shared cache's records) goes through one of these: a file that does not match is treated as
 * missing (and, by commands that write, set aside in quarantine/), never trusted and never a
 * crash. Keys, digests, profile and cell names are checked before a path is built from them, so
 * no name read from a file or the command line can point outside its directory.
 */
import { z } from 'zod';
import { canonicalJson, sha256 } from '../util/hash.ts';

/** A cell key or an object digest: SHA-256, lower-case hex. */
export const HEX64 = /^[0-9a-f]{64}$/;
/** A profile name: what index/<profile>/ may be called (never `.`, `..` or empty). */
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** A cell name: `stage` or `stage@suffix` (the suffix any printable text without `/`). */
export const CELL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(@[^/\\\u0000-\u001f]+)?$/;

/** Whether `s` is a well-formed key or digest. */
export function isHex64(s: unknown): s is string {
  return typeof s === 'string' && HEX64.test(s);
}

/** Whether `s` can name a profile directory. */
export function isProfileName(s: unknown): s is string {
  return typeof s === 'string' && PROFILE_NAME.test(s) && s.length <= 200;
}

/** Whether `s` can name a cell (its index file). */
export function isCellName(s: unknown): s is string {
  return typeof s === 'string' && CELL_NAME.test(s) && s.length <= 400;
}

const hex64 = z.string().regex(HEX64, 'expected 64 lower-case hex digits');
const profileName = z.string().refine(isProfileName, 'expected a profile name (letters, digits, _ . -, not starting with a dot)');
const cellName = z.string().refine(isCellName, 'expected a cell name (stage or stage@suffix)');
/** A '/'-separated relative path with no empty, `.` or `..` segment. */
const relPath = z.string().refine((p) => p.length > 0 && !p.startsWith('/') && !p.includes('\\') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), 'expected a relative path without empty, . or .. segments');

/** One output of a cell. */
export const outputEntrySchema = z.object({ path: relPath, digest: hex64, size: z.number().int().nonnegative() });

/** runs/<key>.json */
export const runRecordSchema = z.object({
  schema: z.literal(1),
  key: hex64,
  cell: cellName,
  stage: z.string().min(1),
  profile: profileName,
  fingerprint: z.record(z.string(), z.unknown()),
  outputs: z.array(outputEntrySchema),
  tree: hex64,
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  host: z.string(),
  pid: z.number(),
  log: hex64.optional(),
});

/** index/<profile>/<cell>.json */
export const indexEntrySchema = z.object({ key: hex64, at: z.string().optional() });

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const cellSchema = z.object({
  name: cellName,
  stage: z.string().min(1),
  module: z.string().min(1),
  matrix: z.record(z.string(), scalar),
  params: z.record(z.string(), z.unknown()),
  deps: z.array(z.object({ name: z.string(), cells: z.array(z.string()), optional: z.boolean().optional() }).loose()),
  outs: z.array(z.string().min(1)),
  env: z.array(z.string()),
  publish: z.string().optional(),
}).loose();

/** specs/<key>.json */
export const cellSpecSchema = z.object({
  schema: z.literal(1),
  key: hex64,
  root: z.string().min(1),
  profile: profileName,
  cell: cellSchema,
  fingerprint: z.record(z.string(), z.unknown()),
  inputs: z.record(z.string(), z.array(z.object({ cell: z.string(), stage: z.string(), matrix: z.record(z.string(), scalar), params: z.record(z.string(), z.unknown()), key: hex64 }))),
  env: z.record(z.string(), z.string()),
});

/** Why a cell failed, as run-cell reports it (the `CellFailure` union of src/engine/executor.ts). */
export const cellFailureSchema = z.discriminatedUnion('reason', [
  z.object({ reason: z.literal('no-spec'), message: z.string() }),
  z.object({ reason: z.literal('bad-input'), message: z.string(), upstream: z.string() }),
  z.object({ reason: z.literal('stage-error'), message: z.string() }),
  z.object({ reason: z.literal('missing-output'), message: z.string() }),
  z.object({ reason: z.literal('timeout'), message: z.string(), log: z.string().optional() }),
]);

/** results/<key>.json: how the last attempt at a cell ended (written by run-cell; see engine/outcome.ts). */
export const outcomeRecordSchema = z.object({
  schema: z.literal(1),
  key: hex64,
  /** Absent only when the key had no spec (run-cell never learnt the cell's name). */
  cell: cellName.optional(),
  /** The executor's name for this attempt (a Slurm task `<job>_<task>`), when it gave one. */
  attempt: z.string().max(200).optional(),
  at: z.string(),
  host: z.string(),
  pid: z.number(),
  outcome: z.discriminatedUnion('status', [
    z.object({ status: z.literal('done'), reused: z.boolean() }),
    z.object({ status: z.literal('failed'), failure: cellFailureSchema }),
  ]),
});

/** .state/verified.json: digest (or `r:<key>` for a record) → stamp of the file last verified. */
export const verifiedStateSchema = z.record(z.string(), z.string());

/** .state/code-cache.json: project-relative path → its token-stream hash and imports. */
export const codeCacheSchema = z.record(z.string(), z.object({ mtimeMs: z.number(), size: z.number(), hash: z.string(), imports: z.array(z.string()) }));

/** .state/params-cache.json: module identity → params digest → accepted params. */
export const paramsCacheSchema = z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown())));

/** What a schema check says: the value, or why the file is not one (in words, one line). */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** Parses JSON text against `schema`; a one-line problem instead of a throw. */
export function parseStoreJson<T>(text: string, schema: z.ZodType<T>): Checked<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: `not JSON (${(e as Error).message})` };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, problem: `${issue.path.length ? `at ${issue.path.join('.')}: ` : ''}${issue.message}` };
}

/**
 * The integrity of a record beyond its shape: its key is the SHA-256 of its fingerprint (and the
 * name it was asked for), and its tree the digest of its outputs list. Undefined when it holds.
 */
export function recordIntegrityProblem(r: z.infer<typeof runRecordSchema>, key: string): string | undefined {
  if (r.key !== key) return `it is the record of key ${r.key.slice(0, 12)}, not ${key.slice(0, 12)}`;
  if (sha256(canonicalJson(r.fingerprint)) !== key) return 'its key is not the SHA-256 of its fingerprint';
  if (treeDigestOf(r.outputs) !== r.tree) return 'its tree is not the digest of its outputs list';
  const paths = new Set(r.outputs.map((o) => o.path));
  if (paths.size !== r.outputs.length) return 'it lists an output path twice';
  return undefined;
}

/** Digest of an outputs list (the same function as Store's treeDigest; defined here to avoid a cycle). */
export function treeDigestOf(outputs: readonly { path: string; digest: string; size: number }[]): string {
  return sha256(canonicalJson([...outputs].sort((a, b) => (a.path < b.path ? -1 : 1))));
}
