/**
 * Inputs a stage must not change. A cell reads its upstream outputs through views, hard links to
 * the very objects in cas/, so a stage that writes into an input path (as root, read-only
 * permissions do not stop it) would change the stored object itself. Copying every input for
 * every cell would stop that at the price of the inputs' size per cell; instead the input files
 * are stamped (inode, mtime, ctime, size: any write, chmod or utimes changes the ctime) before
 * the stage runs and checked after it: a file whose stamp changed is re-hashed, and if its bytes
 * no longer match their digest the object is quarantined and the cell fails (its result was
 * computed from, or alongside, bytes that are not its inputs). Files added to or removed from a
 * view fail the cell too. The cost is one lstat per input file before and after the stage.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from '../util/hash.ts';
import { fileStamp, type RunRecord, type Store } from '../store/store.ts';
import { viewProblem } from '../store/views.ts';

/** One input view given to a stage. */
export interface GivenInput {
  readonly dep: string;
  readonly cell: string;
  readonly view: string;
  readonly record: RunRecord;
}

/** The stamps of every input file, taken just before the stage runs. */
export interface InputSnapshot {
  readonly inputs: readonly GivenInput[];
  readonly stamps: ReadonlyMap<string, string>;
}

/** Stamps every file of every input view. */
export function snapshotInputs(inputs: readonly GivenInput[]): InputSnapshot {
  const stamps = new Map<string, string>();
  for (const i of inputs) {
    for (const o of i.record.outputs) {
      const file = join(i.view, ...o.path.split('/'));
      try {
        stamps.set(file, fileStamp(lstatSync(file)));
      } catch {
        stamps.set(file, 'missing');
      }
    }
  }
  return { inputs, stamps };
}

/**
 * What the stage changed in its inputs, in words (undefined when nothing): the first file whose
 * bytes no longer match their digest (its object is quarantined, so the upstream cell runs
 * again), or a view that gained or lost files.
 */
export async function inputsChanged(store: Store, snap: InputSnapshot): Promise<string | undefined> {
  for (const i of snap.inputs) {
    for (const o of i.record.outputs) {
      const file = join(i.view, ...o.path.split('/'));
      let now: string;
      try {
        now = fileStamp(lstatSync(file));
      } catch {
        return `input ${i.dep}: ${i.cell}'s ${o.path} was deleted while the cell ran`;
      }
      if (now === snap.stamps.get(file)) continue;
      // The stamp also changes when another cell links the same object into its view: re-hash to decide.
      let digest: string;
      try {
        digest = (await sha256File(file)).digest;
      } catch (e) {
        return `input ${i.dep}: ${i.cell}'s ${o.path} cannot be read after the cell ran (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
      }
      if (digest !== o.digest) {
        const bad = await store.verifyObject(o.digest, { force: true });
        return `input ${i.dep}: ${i.cell}'s ${o.path} was modified while the cell ran (it now hashes to ${digest.slice(0, 12)}, not ${o.digest.slice(0, 12)})${bad?.quarantined ? '; the stored object was quarantined and ' + i.cell + ' will run again' : ''}. A stage must not write into ctx.inputs paths: copy a file to change it`;
      }
    }
    const problem = viewProblem(i.view, i.record, (d) => store.objectPath(d));
    if (problem !== undefined) return `input ${i.dep}: the view of ${i.cell} was changed while the cell ran (${problem})`;
  }
  return undefined;
}
