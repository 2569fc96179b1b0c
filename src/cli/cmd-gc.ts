/** `hebb gc`: drop records and objects that no profile's current cells refer to. */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { Store } from '../store/store.ts';
import { pidAlive } from '../store/lock.ts';
import { readSpec } from '../engine/run-cell.ts';
import { artifactsDir } from './project.ts';
import type { GcOptions } from './options.ts';

/** Runs `gc`; returns the exit code. Do not run it while a `repro` uses the same store. */
export async function gc(o: GcOptions): Promise<number> {
  const dry = Boolean(o.dryRun);
  // --dry-run is a read command: a bad file it meets is reported by fsck, never moved.
  const store = new Store(artifactsDir(o.pipeline, o.artifacts), { readOnly: dry });
  const busy = store.activeUsers();
  if (busy.length > 0 && !o.force) {
    process.stderr.write(`hebb gc: a hebb repro (pid ${busy.join(', ')}) is using ${store.dir}; run gc when it has finished (or pass --force)\n`);
    return 2;
  }
  const keepKeys = new Set<string>();
  const indexDir = join(store.dir, 'index');
  // Names that do not decode, entries that are not directories or not valid index entries keep
  // nothing (`hebb fsck` reports them); they never stop gc.
  const decode = (s: string): string | undefined => {
    try {
      return decodeURIComponent(s);
    } catch {
      return undefined;
    }
  };
  for (const profile of existsSync(indexDir) ? readdirSync(indexDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : []) {
    for (const f of readdirSync(join(indexDir, profile))) {
      const [p, c] = [decode(profile), decode(f.replace(/\.json$/, ''))];
      const key = p !== undefined && c !== undefined ? store.readIndex(p, c) : undefined;
      if (key) keepKeys.add(key);
    }
  }
  const keepObjects = new Set<string>();
  const keepTrees = new Set<string>();
  for (const key of keepKeys) {
    const r = store.readRecord(key);
    if (!r) continue;
    r.outputs.forEach((x) => keepObjects.add(x.digest));
    if (r.log) keepObjects.add(r.log);
    keepTrees.add(r.tree);
  }
  let removed = 0;
  let bytes = 0;
  const drop = (path: string): void => {
    try {
      bytes += statSync(path).isFile() ? statSync(path).size : 0;
    } catch {
      return;
    }
    removed++;
    if (!dry) rmSync(path, { recursive: true, force: true });
  };
  for (const key of store.listRecords()) if (!keepKeys.has(key)) drop(store.recordPath(key));
  // Specs, failed cells' logs and outcome records of cells no profile points at.
  for (const dir of ['specs', 'logs', 'results']) {
    const d = join(store.dir, dir);
    for (const f of existsSync(d) ? readdirSync(d) : []) {
      const key = f.replace(/\.(json|log)$/, '');
      if (keepKeys.has(key)) continue;
      // A cell in flight (its lock is held) keeps its spec and outcome: a running repro's executor reads them.
      if (dir !== 'logs' && readSpec(store, key) && store.readRecord(key) === undefined && existsSync(join(store.dir, 'locks', `${key}.lock`))) continue;
      drop(join(d, f));
    }
  }
  const cas = join(store.dir, 'cas');
  for (const sub of existsSync(cas) ? readdirSync(cas) : []) {
    for (const f of readdirSync(join(cas, sub))) if (!keepObjects.has(sub + f)) drop(join(cas, sub, f));
  }
  const views = join(store.dir, 'views');
  for (const t of existsSync(views) ? readdirSync(views) : []) if (!keepTrees.has(t)) drop(join(views, t));
  const tmp = join(store.dir, 'tmp');
  for (const t of existsSync(tmp) ? readdirSync(tmp) : []) {
    const pid = Number(/\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(t)?.[1]);
    if (!pid || !pidAlive(pid)) drop(join(tmp, t));
  }
  // Temp files of writers that died mid-write (temp + rename): runs/, specs/, results/, index/, cas/, .state/.
  const sweep = (dir: string): void => {
    for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) sweep(path);
      else {
        const pid = Number(/\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(entry.name)?.[1]);
        if (pid && !pidAlive(pid)) drop(path);
      }
    }
  };
  for (const d of ['runs', 'specs', 'results', 'index', 'cas', '.state']) sweep(join(store.dir, d));
  // Marks of repro processes that died without removing them (this host only).
  const activeDir = join(store.dir, 'active');
  for (const f of existsSync(activeDir) ? readdirSync(activeDir) : []) {
    const m = /^(.*)-(\d+)$/.exec(f);
    if (m && m[1] === hostname() && !pidAlive(Number(m[2]))) drop(join(activeDir, f));
  }
  const q = join(store.dir, 'quarantine');
  if (existsSync(q)) for (const f of readdirSync(q)) drop(join(q, f));
  process.stdout.write(`hebb gc: ${dry ? 'would remove' : 'removed'} ${removed} entries (${(bytes / 2 ** 20).toFixed(1)} MiB of objects and records); kept ${keepKeys.size} current records\n`);
  return 0;
}
