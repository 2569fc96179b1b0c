/**
 * Views: a cell's outputs as a directory, `artifacts/views/<tree>/`, made of hard links into cas/
 * (what downstream cells and `publish` read).
 *
 * A view is only a convenience over the objects, so it is never trusted: before one is handed
 * out, every file in it must be the very inode of its (verified) object in cas/, and it must hold
 * exactly the record's outputs. A view that fails (an object was quarantined and rebuilt, so the
 * view still links the bad bytes; a file was deleted, added or replaced) is rebuilt. Checking is
 * two lstat calls per output file.
 */
import { chmodSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What a view is checked against: the record's outputs, and where each object lives. */
export interface ViewSpec {
  readonly tree: string;
  readonly outputs: readonly { readonly path: string; readonly digest: string }[];
}

/** The files under `dir` as '/'-separated relative paths; a problem if anything is not a regular file or directory. */
function listView(dir: string, prefix = ''): string[] | string {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      const sub = listView(join(dir, entry.name), rel);
      if (typeof sub === 'string') return sub;
      out.push(...sub);
    } else if (entry.isFile()) out.push(rel);
    else return `${rel} is not a regular file`;
  }
  return out;
}

/**
 * Why the view at `view` does not serve exactly the objects of `spec` (undefined when it does).
 * `objectPath` maps a digest to its file in cas/; the caller has verified those objects.
 */
export function viewProblem(view: string, spec: ViewSpec, objectPath: (digest: string) => string): string | undefined {
  let files: string[] | string;
  try {
    files = listView(view);
  } catch (e) {
    return `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  if (typeof files === 'string') return files;
  const want = new Set(spec.outputs.map((o) => o.path));
  const extra = files.find((f) => !want.has(f));
  if (extra !== undefined) return `holds ${extra}, which is not an output of the cell`;
  for (const o of spec.outputs) {
    let v, c;
    try {
      v = lstatSync(join(view, ...o.path.split('/')));
    } catch {
      return `${o.path} is missing`;
    }
    try {
      c = lstatSync(objectPath(o.digest));
    } catch {
      return `object ${o.digest.slice(0, 12)} of ${o.path} is not in the store`;
    }
    if (v.ino !== c.ino || v.dev !== c.dev) return `${o.path} is not the stored object ${o.digest.slice(0, 12)} (a stale or replaced file)`;
  }
  return undefined;
}

/**
 * The view of `spec` under `viewsDir`, checked, and (re)built when it is absent or fails the
 * check. `makeTemp` gives a fresh private directory on the same filesystem. Returns the path, and
 * why an existing view was rebuilt (if it was).
 */
export function ensureView(viewsDir: string, spec: ViewSpec, objectPath: (digest: string) => string, makeTemp: (label: string) => string): { path: string; rebuilt?: string } {
  const view = join(viewsDir, spec.tree);
  let stale: string | undefined;
  if (existsSync(view)) {
    stale = viewProblem(view, spec, objectPath);
    if (stale === undefined) return { path: view };
  }
  const tmp = makeTemp(`view-${spec.tree.slice(0, 12)}`);
  for (const o of spec.outputs) {
    const target = join(tmp, ...o.path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    try {
      linkSync(objectPath(o.digest), target);
    } catch {
      // No hard links here: a copy, which the next check will not accept, so it is rebuilt on each use.
      copyFileSync(objectPath(o.digest), target);
      chmodSync(target, 0o444);
    }
  }
  mkdirSync(viewsDir, { recursive: true });
  if (stale !== undefined) {
    // Move the bad view aside first (a rename, so readers never see a half-removed view).
    const aside = makeTemp(`stale-view-${spec.tree.slice(0, 12)}`);
    try {
      renameSync(view, join(aside, 'v'));
    } catch {
      /* another process already replaced it */
    }
    rmSync(aside, { recursive: true, force: true });
  }
  try {
    renameSync(tmp, view);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // Another process put a view there first: use it if it is right.
    if (!existsSync(view) || viewProblem(view, spec, objectPath) !== undefined) throw e;
  }
  return { path: view, ...(stale !== undefined ? { rebuilt: stale } : {}) };
}

/**
 * Removes every view under `viewsDir` that holds a hard link to inode `ino` (an object just
 * quarantined), so none can serve its bytes; returns the trees removed. Each view is renamed
 * aside first, so a reader never sees a half-removed view.
 */
export function dropViewsLinking(viewsDir: string, ino: number, makeTemp: (label: string) => string): string[] {
  const removed: string[] = [];
  const links = (dir: string): boolean => readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? links(join(dir, e.name)) : lstatSync(join(dir, e.name)).ino === ino));
  for (const tree of existsSync(viewsDir) ? readdirSync(viewsDir) : []) {
    try {
      if (!links(join(viewsDir, tree))) continue;
      const aside = makeTemp(`stale-view-${tree.slice(0, 12)}`);
      renameSync(join(viewsDir, tree), join(aside, 'v'));
      rmSync(aside, { recursive: true, force: true });
      removed.push(tree);
    } catch {
      /* a view another process is replacing: it is checked before use anyway */
    }
  }
  return removed;
}
