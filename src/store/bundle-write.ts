/**
 * Writes a bundle (see bundle-format.ts) from records already in the store: their objects are
 * verified, staged under artifacts/tmp (hard links, no copies, for objects), hashed again as
 * staged (so a changed object is never packed under its old name), listed with their digests in
 * the manifest, and packed in path order with fixed metadata, so the same records
 * always give the same bytes. The output appears whole or not at all (temp file + rename).
 */
import { chmodSync, copyFileSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { create } from 'tar';
import { sha256File } from '../util/hash.ts';
import { tempSibling } from '../util/fs-atomic.ts';
import { err, ok, type Result } from '../util/result.ts';
import { ratioProblem } from './bundle-limits.ts';
import type { RunRecord, Store } from './store.ts';
import { parseStoreJson, recordIntegrityProblem, runRecordSchema } from './schemas.ts';
import { lockedPipeline, type PipelineText } from './bundle-pipeline.ts';
import { LOCK, LOCK_SCHEMA, MANIFEST, normalizePublish, type BundleLock, type BundleManifest, type BundleProblem, type LockCell, type ManifestFile } from './bundle-format.ts';

/** A cell to export: its current key, and where `repro` publishes it (if it does). */
export interface ExportCell {
  readonly cell: string;
  readonly stage: string;
  readonly key: string;
  readonly publish?: string;
}

/** Everything an export needs; the CLI finds the cells' current keys. */
export interface ExportRequest {
  readonly store: Store;
  readonly profile: string;
  readonly targets: readonly string[];
  /** Every pipeline file the loader read (top-level file first, then its includes): path relative to the project root, text. */
  readonly pipeline: readonly PipelineText[];
  /** In pipeline order. */
  readonly cells: readonly ExportCell[];
  /** The .tar.gz to write. */
  readonly out: string;
}

/** What was written. */
export interface ExportSummary {
  readonly out: string;
  readonly archiveBytes: number;
  readonly contentBytes: number;
  readonly records: number;
  readonly objects: number;
  readonly reports: number;
}

/** Writes the bundle for `req.cells`; a problem if a cell's record or objects are not in the store. */
export async function writeBundle(req: ExportRequest): Promise<Result<ExportSummary, BundleProblem>> {
  const { store } = req;
  const records: RunRecord[] = [];
  for (const c of req.cells) {
    const r = store.readRecord(c.key);
    if (!r) return err({ reason: 'not-cached', entry: c.cell, message: `no record for key ${c.key.slice(0, 12)} in ${store.dir}` });
    records.push(r);
  }
  const objects = new Map<string, number>();
  for (const r of records) {
    for (const o of r.outputs) objects.set(o.digest, o.size);
    if (r.log) objects.set(r.log, -1);
  }
  for (const [digest] of [...objects]) {
    const bad = await store.verifyObject(digest);
    if (bad) {
      const owner = records.find((r) => r.log === digest || r.outputs.some((o) => o.digest === digest))!;
      return err({ reason: 'not-cached', entry: owner.cell, message: `object ${digest.slice(0, 12)} is ${bad.reason}${bad.quarantined ? ` (moved to ${bad.quarantined})` : ''}` });
    }
  }
  store.saveState();

  const stage = store.makeTempDir('bundle-export');
  try {
    const files: ManifestFile[] = [];
    // Every member is hashed as staged, whatever the verification cache says: what is packed is
    // what the manifest claims, and an object must still hash to its name.
    const add = async (path: string, fill: (target: string) => void, digest?: string): Promise<BundleProblem | undefined> => {
      const target = join(stage, ...path.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      fill(target);
      const hashed = await sha256File(target);
      if (digest !== undefined && hashed.digest !== digest) {
        return { reason: 'not-cached', entry: path, message: `the stored object ${digest.slice(0, 12)} hashes to ${hashed.digest.slice(0, 12)}: it was changed in place; nothing was exported (run \`hebb fsck --repair\`, then \`hebb repro\`)` };
      }
      files.push({ path, sha256: hashed.digest, size: hashed.size });
      return undefined;
    };
    for (const digest of [...objects.keys()].sort()) {
      // A hard link costs nothing (copy where links are not allowed); it is hashed as packed.
      const bad = await add(`cas/${digest.slice(0, 2)}/${digest.slice(2)}`, (t) => linkOrCopy(store.objectPath(digest), t), digest);
      if (bad) return err(bad);
    }
    for (const r of records) {
      await add(`runs/${r.key}.json`, (t) => copyFileSync(store.recordPath(r.key), t));
      // The copy is what is packed: it must still be the record that was checked.
      const copy = parseStoreJson(readFileSync(join(stage, 'runs', `${r.key}.json`), 'utf8'), runRecordSchema);
      const problem = copy.ok ? recordIntegrityProblem(copy.value, r.key) : copy.problem;
      if (problem) return err({ reason: 'not-cached', entry: `runs/${r.key}.json`, message: `the record changed while it was exported (${problem})` });
    }
    const lockCells: LockCell[] = [];
    for (const [i, c] of req.cells.entries()) {
      const r = records[i]!;
      const fp = r.fingerprint as { module?: unknown; params?: unknown; code?: unknown };
      const publish = c.publish !== undefined ? normalizePublish(c.publish) : undefined;
      lockCells.push({ cell: c.cell, stage: c.stage, key: c.key, module: String(fp.module), params: fp.params, code: fp.code, ...(publish ? { publish } : {}) });
      // The report as `repro` publishes it, taken from the record so it always matches it.
      // Copies, not links: an inode packed twice would become a hard-link member.
      if (publish) {
        for (const o of r.outputs) {
          const bad = await add(`${publish}/${o.path}`, (t) => copyFileSync(store.objectPath(o.digest), t), o.digest);
          if (bad) return err(bad);
        }
      }
    }
    const lock: BundleLock = {
      schema: LOCK_SCHEMA,
      profile: req.profile,
      targets: [...req.targets],
      pipeline: lockedPipeline(req.pipeline),
      cells: lockCells,
    };
    await add(LOCK, (t) => writeFileSync(t, `${JSON.stringify(lock, null, 1)}\n`));
    files.sort((a, b) => (a.path < b.path ? -1 : 1));
    const manifest: BundleManifest = { schema: 1, kind: 'hebb-bundle', profile: req.profile, cells: req.cells.map((c) => ({ cell: c.cell, stage: c.stage, key: c.key })), files };
    writeFileSync(join(stage, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
    for (const f of files) chmodSync(join(stage, ...f.path.split('/')), 0o444);
    chmodSync(join(stage, MANIFEST), 0o444);

    mkdirSync(dirname(req.out), { recursive: true });
    const tmp = tempSibling(req.out);
    try {
      await create({ file: tmp, cwd: stage, gzip: true, portable: true, mtime: new Date(0), noDirRecurse: true }, [MANIFEST, ...files.map((f) => f.path)]);
      // The importer's own test (bundle-limits.ts): export never writes a bundle import would refuse.
      const tooCompressed = ratioProblem(files.reduce((a, f) => a + f.size, 0), statSync(tmp).size, req.out);
      if (tooCompressed) {
        rmSync(tmp, { force: true });
        return err(tooCompressed);
      }
      renameSync(tmp, req.out);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    return ok({
      out: req.out,
      archiveBytes: statSync(req.out).size,
      contentBytes: files.reduce((a, f) => a + f.size, 0),
      records: records.length,
      objects: objects.size,
      reports: files.length - records.length - objects.size - 1,
    });
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}
