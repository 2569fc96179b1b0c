/** Filesystem helpers whose writes are all-or-nothing: write a sibling temp file, then rename. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync, rmSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { withPath } from './io-error.ts';

/**
 * `mkdir -p`, but a refusal names its real cause: Node's recursive mkdir reports ENOENT on a
 * read-only or forbidden parent, so the first missing directory is made alone to surface the
 * EROFS or EACCES (with its path).
 */
export function mkdirp(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw withPath(e, dir);
    let first = dir;
    while (!existsSync(dirname(first)) && dirname(first) !== first) first = dirname(first);
    mkdirSync(first); // throws the real error (EROFS, EACCES) for that path
    mkdirSync(dir, { recursive: true });
  }
}

/** A unique temp name beside `path` (same directory, so rename is atomic). */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `data` to `path` atomically: readers see the old file or the whole new one. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirp(dirname(path));
  const tmp = tempSibling(path);
  try {
    writeFileSync(tmp, data);
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw withPath(e, path);
  }
}
