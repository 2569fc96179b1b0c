/**
 * `hebb fsck`: checks the whole store from scratch, trusting no cache. Every object is re-hashed
 * (the verification cache is ignored); every record is checked against its schema, its key
 * (SHA-256 of its fingerprint), its tree (digest of its outputs) and its objects; every spec,
 * every view (exactly the record's objects, by inode), every index entry (a valid record of that
 * cell and profile), every outcome record (results/) and every .state cache is checked.
 *
 * Without `repair` nothing is written (the store is opened read-only). With it, bad objects,
 * records and specs are moved to quarantine/ (kept for inspection), records that name a bad or
 * missing object are set aside too (so their cells run again), bad views, index entries and
 * caches and outcome records are removed (they are rebuilt on demand).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { inspectSpec } from '../engine/run-cell.ts';
import { codeCacheSchema, indexEntrySchema, isCellName, isHex64, isProfileName, outcomeRecordSchema, paramsCacheSchema, parseStoreJson, verifiedStateSchema } from './schemas.ts';
import type { RunRecord, Store } from './store.ts';
import { viewProblem } from './views.ts';

/** One thing fsck found wrong. */
export interface FsckProblem {
  /** Store-relative path of the file or directory. */
  readonly path: string;
  readonly message: string;
  /** What --repair did about it (absent: nothing was done). */
  readonly repaired?: string;
}

/** What fsck checked and found. */
export interface FsckReport {
  readonly objects: number;
  readonly bytesHashed: number;
  readonly records: number;
  readonly specs: number;
  readonly views: number;
  readonly indexEntries: number;
  /** Outcome records (results/<key>.json). */
  readonly outcomes: number;
  readonly problems: readonly FsckProblem[];
}

const isTemp = (name: string): boolean => /\.\d+\.[0-9a-f]{8}\.tmp$/.test(name);
const list = (dir: string): string[] => (existsSync(dir) && lstatSync(dir).isDirectory() ? readdirSync(dir).sort() : []);

/** Checks (and with `repair`, repairs) `store`; the store must be read-only exactly when `repair` is false. */
export async function fsck(store: Store, opts: { repair: boolean }): Promise<FsckReport> {
  const problems: FsckProblem[] = [];
  const repair = opts.repair;
  const add = (path: string, message: string, repaired?: string): void => {
    problems.push({ path, message, ...(repair && repaired ? { repaired } : {}) });
  };
  const remove = (path: string): string => {
    rmSync(join(store.dir, path), { recursive: true, force: true });
    return 'removed';
  };

  // Objects: every one re-hashed.
  const good = new Set<string>();
  let objects = 0;
  let bytesHashed = 0;
  for (const sub of list(join(store.dir, 'cas'))) {
    if (!/^[0-9a-f]{2}$/.test(sub) || !lstatSync(join(store.dir, 'cas', sub)).isDirectory()) {
      add(`cas/${sub}`, 'not an object directory (cas/<2 hex>/)', repair ? remove(`cas/${sub}`) : undefined);
      continue;
    }
    for (const name of list(join(store.dir, 'cas', sub))) {
      if (isTemp(name)) continue; // a writer's temp file; gc removes those of dead writers
      const digest = sub + name;
      if (!isHex64(digest)) {
        add(`cas/${sub}/${name}`, 'not an object name (62 hex digits)', repair ? remove(`cas/${sub}/${name}`) : undefined);
        continue;
      }
      objects++;
      const st = lstatSync(store.objectPath(digest));
      if (st.isFile()) bytesHashed += st.size;
      const bad = await store.verifyObject(digest, { force: true });
      if (bad) add(`cas/${sub}/${name}`, `${bad.reason}${bad.detail ? `: ${bad.detail}` : ''}`, bad.quarantined ? 'moved to quarantine/' : undefined);
      else good.add(digest);
    }
  }

  // Records: schema, key, tree, objects.
  const records = new Map<string, RunRecord>();
  const runs = list(join(store.dir, 'runs'));
  for (const name of runs) {
    if (isTemp(name)) continue;
    const key = /^([0-9a-f]{64})\.json$/.exec(name)?.[1];
    if (!key) {
      add(`runs/${name}`, 'not a record name (<64 hex>.json)', repair ? (store.setAside(join(store.dir, 'runs', name), 'record') ? 'moved to quarantine/' : undefined) : undefined);
      continue;
    }
    const found = store.inspectRecord(key);
    if (found.problem) {
      add(`runs/${name}`, found.problem.replace(/; moved to .*$/, ''), 'moved to quarantine/');
      continue;
    }
    const r = found.record!;
    const missing = [...r.outputs.map((o) => ({ what: `output ${o.path}`, digest: o.digest })), ...(r.log ? [{ what: 'log', digest: r.log }] : [])].find((o) => !good.has(o.digest));
    if (missing) {
      add(`runs/${name}`, `record of ${r.cell}: its ${missing.what} (object ${missing.digest.slice(0, 12)}) is missing or corrupt; the cell must run again`, repair && store.setAside(join(store.dir, 'runs', name), 'record') ? 'moved to quarantine/ (the cell runs again)' : undefined);
      continue;
    }
    records.set(key, r);
  }

  // Specs.
  let specs = 0;
  for (const name of list(join(store.dir, 'specs'))) {
    if (isTemp(name)) continue;
    const key = /^([0-9a-f]{64})\.json$/.exec(name)?.[1];
    specs++;
    if (!key) {
      add(`specs/${name}`, 'not a spec name (<64 hex>.json)', repair ? remove(`specs/${name}`) : undefined);
      continue;
    }
    const found = inspectSpec(store, key);
    if (found.problem) add(`specs/${name}`, found.problem.replace(/; set aside$/, ''), 'moved to quarantine/');
  }

  // Views: those of a current record must serve exactly its objects.
  const byTree = new Map<string, RunRecord>();
  for (const r of records.values()) byTree.set(r.tree, r);
  let views = 0;
  for (const name of list(join(store.dir, 'views'))) {
    if (isTemp(name)) continue;
    views++;
    const r = isHex64(name) ? byTree.get(name) : undefined;
    if (!r) continue; // no record names it: harmless (never served), `hebb gc` removes it
    const problem = viewProblem(join(store.dir, 'views', name), r, (d) => store.objectPath(d));
    if (problem) add(`views/${name}`, `view of ${r.cell}: ${problem}`, repair ? `${remove(`views/${name}`)} (rebuilt when next read)` : undefined);
  }

  // Index entries: each names a valid record of that profile and cell.
  let indexEntries = 0;
  for (const profileDir of list(join(store.dir, 'index'))) {
    const profile = safeDecode(profileDir);
    const dir = join(store.dir, 'index', profileDir);
    if (!profile || !isProfileName(profile) || !lstatSync(dir).isDirectory()) {
      add(`index/${profileDir}`, 'not a profile directory (a profile name)', repair ? remove(`index/${profileDir}`) : undefined);
      continue;
    }
    for (const name of list(dir)) {
      if (isTemp(name)) continue;
      indexEntries++;
      const rel = `index/${profileDir}/${name}`;
      const cell = name.endsWith('.json') ? safeDecode(name.slice(0, -5)) : undefined;
      const parsed = checkJson(join(dir, name), indexEntrySchema);
      const r = parsed.ok ? records.get(parsed.value.key) : undefined;
      const problem = !cell || !isCellName(cell) ? 'not an index entry name (<cell>.json)'
        : !parsed.ok ? `not a valid index entry (${parsed.problem})`
        : !r ? `names key ${parsed.value.key.slice(0, 12)}, which has no valid record`
        : r.cell !== cell || r.profile !== profile ? `names the record of ${r.cell} (profile ${r.profile}), not ${cell}` : undefined;
      if (problem) add(rel, problem, repair ? `${remove(rel)} (the next repro writes it again)` : undefined);
    }
  }

  // Outcome records: how the last attempt at a cell ended (a report for executors, never a
  // result), so a bad one is removed; the next attempt writes it again.
  let outcomes = 0;
  for (const name of list(join(store.dir, 'results'))) {
    if (isTemp(name)) continue;
    outcomes++;
    const rel = `results/${name}`;
    const key = /^([0-9a-f]{64})\.json$/.exec(name)?.[1];
    const parsed = key ? checkJson(join(store.dir, 'results', name), outcomeRecordSchema) : undefined;
    const problem = !key || !parsed ? 'not an outcome record name (<64 hex>.json)'
      : !parsed.ok ? `not a valid outcome record (${parsed.problem})`
      : parsed.value.key !== key ? `it is the outcome of key ${parsed.value.key.slice(0, 12)}` : undefined;
    if (problem) add(rel, problem, repair ? `${remove(rel)} (the cell's next attempt writes it again)` : undefined);
  }

  // Caches under .state/: only ever a saving of work, so a bad one is removed.
  for (const [name, schema] of [['verified.json', verifiedStateSchema], ['code-cache.json', codeCacheSchema], ['params-cache.json', paramsCacheSchema]] as const) {
    const path = join(store.dir, '.state', name);
    if (!existsSync(path)) continue;
    const parsed = checkJson(path, schema as z.ZodType<unknown>);
    if (!parsed.ok) add(`.state/${name}`, `not a valid cache (${parsed.problem})`, repair ? remove(`.state/${name}`) : undefined);
  }
  store.saveState();
  return { objects, bytesHashed, records: runs.length, specs, views, indexEntries, outcomes, problems };
}

function checkJson<T>(path: string, schema: z.ZodType<T>): ReturnType<typeof parseStoreJson<T>> {
  try {
    return parseStoreJson(readFileSync(path, 'utf8'), schema);
  } catch (e) {
    return { ok: false, problem: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
