/**
 * Bounds on what reading a bundle may cost, all checked from the manifest (the first member)
 * before any other member is read or anything is written: the total bytes it declares (a
 * configurable cap), the JSON held in memory, the free space of the store, and the ratio of
 * declared bytes to the archive's size. Every member is then held to its declared size as it
 * streams by (bundle-read.ts), so the manifest's figures bound disk and memory.
 */
import { statfsSync } from 'node:fs';
import { err, ok, type Result } from '../util/result.ts';
import { LOCK, MANIFEST, roleOf, isProblem, type BundleManifest, type BundleProblem } from './bundle-format.ts';

/**
 * Most unpacked bytes per byte of archive, for export and import alike. Deflate cannot compress
 * better than 1032:1, so an honest .tar.gz never exceeds it, and a manifest that claims more is
 * refused before a byte is written. (tar's own default of 1000:1 made hebb refuse its own
 * exports of very compressible outputs, such as arrays of zeros.)
 */
export const MAX_RATIO = 1100;
/** Largest manifest.json read into memory. */
export const MAX_MANIFEST_BYTES = 16 * 2 ** 20;
/** Most bytes of JSON members (lock, records) held in memory at once. */
export const MAX_JSON_TOTAL_BYTES = 256 * 2 ** 20;
/** Default cap on the bytes a bundle may declare (unpacked): 64 GiB; --max-bytes or $HEBB_BUNDLE_MAX_BYTES change it. */
export const DEFAULT_MAX_BUNDLE_BYTES = 64 * 2 ** 30;

/** Configurable bounds of one import or verify. */
export interface BundleLimits {
  /** Most bytes the manifest may declare in all. */
  readonly maxBytes: number;
}

/** The limits from a `--max-bytes` value (`20G`, `512M`, `1000000`), else $HEBB_BUNDLE_MAX_BYTES, else the default. */
export function bundleLimits(flag?: string): Result<BundleLimits, string> {
  const text = flag ?? process.env.HEBB_BUNDLE_MAX_BYTES;
  if (text === undefined || text === '') return ok({ maxBytes: DEFAULT_MAX_BUNDLE_BYTES });
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) return err(`--max-bytes ${JSON.stringify(text)}: expected a size such as 500M, 20G or 1000000`);
  const scale = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return ok({ maxBytes: Math.floor(Number(m[1]) * scale) });
}

/** The problem when `contentBytes` unpacked from `archiveBytes` packed is over MAX_RATIO (the same test for export and import). */
export function ratioProblem(contentBytes: number, archiveBytes: number, entry: string): BundleProblem | undefined {
  if (contentBytes <= MAX_RATIO * Math.max(archiveBytes, 1)) return undefined;
  return { reason: 'too-compressed', entry, message: `it declares ${bytes(contentBytes)} unpacked from a ${bytes(archiveBytes)} archive (${Math.round(contentBytes / Math.max(archiveBytes, 1))}:1), more than gzip can compress (the limit is ${MAX_RATIO}:1)` };
}

/**
 * What the manifest's figures say before anything is read past it: the cap, the JSON in memory,
 * the compression ratio, and (when `storeDir` is given: an import) the store's free space.
 */
export function manifestProblem(m: BundleManifest, archiveBytes: number, limits: BundleLimits, storeDir?: string): BundleProblem | undefined {
  const total = m.files.reduce((a, f) => a + f.size, 0);
  if (total > limits.maxBytes) {
    return { reason: 'too-large', entry: MANIFEST, message: `it declares ${bytes(total)} unpacked, more than the limit of ${bytes(limits.maxBytes)}` };
  }
  const json = m.files.filter((f) => {
    const role = roleOf(f.path);
    return f.path === LOCK || (!isProblem(role) && role.kind === 'record');
  });
  const jsonBytes = json.reduce((a, f) => a + f.size, 0);
  if (jsonBytes > MAX_JSON_TOTAL_BYTES) {
    return { reason: 'too-large', entry: MANIFEST, message: `its ${json.length} JSON members (lock and records) declare ${bytes(jsonBytes)}, more than the ${bytes(MAX_JSON_TOTAL_BYTES)} a reader holds in memory` };
  }
  const ratio = ratioProblem(total, archiveBytes, MANIFEST);
  if (ratio) return ratio;
  if (storeDir !== undefined) {
    const objects = m.files.filter((f) => f.path.startsWith('cas/')).reduce((a, f) => a + f.size, 0);
    const free = freeBytes(storeDir);
    if (free !== undefined && objects > free) {
      return { reason: 'no-space', entry: storeDir, message: `its objects need ${bytes(objects)}, and the filesystem of ${storeDir} has ${bytes(free)} free (ENOSPC before writing anything)` };
    }
  }
  return undefined;
}

/** Bytes free to this user on the filesystem holding `dir` (undefined when the OS cannot say). */
function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** 1536 → "1.5 KiB". */
export function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 2 ** 20 ? `${(n / 1024).toFixed(1)} KiB` : n < 2 ** 30 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 2 ** 30).toFixed(1)} GiB`;
}
