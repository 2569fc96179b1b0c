/** `hebb fsck [--repair]`: re-verify the whole store (objects, records, specs, views, index, outcome records, caches). */
import { Store } from '../store/store.ts';
import { fsck as checkStore } from '../store/fsck.ts';
import { artifactsDir } from './project.ts';
import type { FsckOptions } from './options.ts';

/** Runs `fsck`; 0 when the store is sound (or every problem was repaired), 1 with the list otherwise, 2 when refused. */
export async function fsck(o: FsckOptions): Promise<number> {
  const repair = Boolean(o.repair);
  const store = new Store(artifactsDir(o.pipeline, o.artifacts), { readOnly: !repair });
  if (repair && !o.force) {
    const busy = store.activeUsers();
    if (busy.length > 0) {
      process.stderr.write(`hebb fsck: a hebb repro (pid ${busy.join(', ')}) is using ${store.dir}; run fsck --repair when it has finished (or pass --force)\n`);
      return 2;
    }
  }
  const started = Date.now();
  const r = await checkStore(store, { repair });
  for (const p of r.problems) process.stdout.write(`${p.path}: ${p.message}${p.repaired ? `\n  repaired: ${p.repaired}` : ''}\n`);
  const open = r.problems.filter((p) => !p.repaired).length;
  const checked = `${r.objects} objects (${(r.bytesHashed / 2 ** 20).toFixed(1)} MiB re-hashed), ${r.records} records, ${r.specs} specs, ${r.views} views, ${r.indexEntries} index entries, ${r.outcomes} outcome records in ${((Date.now() - started) / 1000).toFixed(2)} s`;
  if (r.problems.length === 0) {
    process.stdout.write(`hebb fsck: ${store.dir}: checked ${checked}: no problems\n`);
    return 0;
  }
  process.stdout.write(`hebb fsck: ${store.dir}: checked ${checked}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}${repair ? `, ${r.problems.length - open} repaired` : ''}\n`);
  if (open > 0) process.stdout.write(repair ? `  ${open} could not be repaired; see the list above\n` : `  fix: hebb fsck --repair (moves bad files to quarantine/, removes bad views, index entries, caches and outcome records; the cells concerned run again at the next hebb repro)\n`);
  return open > 0 ? 1 : 0;
}
