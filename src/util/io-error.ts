/**
 * Operating-system I/O failures (disk full, read-only or forbidden store, too many open files)
 * in words: the path, the code, what it means and what to do. These are not hebb's bugs, so the
 * CLI reports them like this and exits 1 instead of printing an internal error.
 */

/** Codes that mean the filesystem refused, not that hebb is wrong; with what to do about each. */
const IO_FIXES: Record<string, { meaning: string; fix: string }> = {
  ENOSPC: { meaning: 'no space left on device', fix: 'free space on that filesystem (df -h shows it), or point --artifacts at a larger one, then run the same command again; finished work is kept' },
  EDQUOT: { meaning: 'disk quota exceeded', fix: 'free space within your quota (or ask for a larger one), then run the same command again; finished work is kept' },
  EROFS: { meaning: 'read-only filesystem', fix: 'use a writable artifacts directory (--artifacts <dir> or $HEBB_ARTIFACTS), or remount it read-write' },
  EACCES: { meaning: 'permission denied', fix: 'give your user write access to it (ls -ld shows its owner and mode), or use another artifacts directory (--artifacts <dir>)' },
  EPERM: { meaning: 'operation not permitted', fix: 'give your user write access to it (ls -ld shows its owner and mode), or use another artifacts directory (--artifacts <dir>)' },
  EIO: { meaning: 'input/output error', fix: 'the disk or network filesystem failed: check it (dmesg), then run the same command again' },
  EMFILE: { meaning: 'too many open files', fix: 'raise the limit (ulimit -n 4096) or run fewer jobs (-j), then run again' },
  ENFILE: { meaning: 'too many open files in the system', fix: 'close other programs or raise the system limit, then run again' },
};

/** An I/O failure described: where, which code, its meaning and the fix. */
export interface IoFailure {
  readonly path?: string;
  readonly code: string;
  readonly meaning: string;
  readonly fix: string;
}

/** The I/O failure `e` is, if it is one (an ErrnoException with one of the codes above). */
export function ioFailure(e: unknown): IoFailure | undefined {
  const x = e as NodeJS.ErrnoException | undefined;
  const known = typeof x?.code === 'string' ? IO_FIXES[x.code] : undefined;
  if (!known) return undefined;
  return { ...(typeof x!.path === 'string' ? { path: x!.path } : {}), code: x!.code!, ...known };
}

/** "<path>: ENOSPC (no space left on device)\n  fix: …" */
export function formatIoFailure(f: IoFailure, what = 'cannot write', near?: string): string {
  const where = f.path ?? (near !== undefined ? `under ${near}` : '(path unknown)');
  return `${what} ${where}: ${f.code} (${f.meaning})\n  fix: ${f.fix}`;
}

/** Adds `path` to an fs error that lacks one (write(2) errors name no file), so reports can say where. */
export function withPath(e: unknown, path: string): unknown {
  const x = e as NodeJS.ErrnoException | undefined;
  if (x && typeof x === 'object' && typeof x.code === 'string' && x.path === undefined) x.path = path;
  return e;
}
