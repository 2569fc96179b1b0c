/**
 * Per-key locks shared by every `hebb` process on one artifacts directory (and by cluster tasks
 * on a shared filesystem). A lock is a file created with O_EXCL holding {pid, host, since}. A
 * lock whose process is gone (same host: the PID is dead; other host: no heartbeat for
 * `staleMs`) is stale and broken. Holders refresh the file's mtime as a heartbeat.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

/** Who holds a lock. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/** Options for acquire. */
export interface LockOptions {
  /** A lock from another host without a heartbeat for this long is stale. */
  readonly staleMs?: number;
  /** Poll interval while waiting. */
  readonly pollMs?: number;
  /** Called once when the lock is found held by a live owner. */
  readonly onWait?: (owner: LockOwner) => void;
  /** Give up after this long (default: wait forever). */
  readonly timeoutMs?: number;
}

/** A held lock. */
export interface HeldLock {
  release(): void;
}

/** Takes the lock at `path`, waiting while another live process holds it. */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<HeldLock> {
  const staleMs = opts.staleMs ?? 60_000;
  const started = Date.now();
  let told = false;
  for (;;) {
    const held = tryCreate(path);
    if (held) return startHeartbeat(path, staleMs);
    const owner = readOwner(path);
    if (owner === undefined || isStale(path, owner, staleMs)) {
      breakLock(path);
      continue;
    }
    if (!told) {
      opts.onWait?.(owner);
      told = true;
    }
    if (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs) throw new Error(`timed out waiting for lock ${path} held by pid ${owner.pid} on ${owner.host}`);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 150));
  }
}

/** Whether a process with this PID exists on this host. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // Written but not yet filled by its creator: treat as held unless old.
    try {
      return Date.now() - statSync(path).mtimeMs > 5_000 ? undefined : { pid: -1, host: 'unknown', since: '' };
    } catch {
      return undefined;
    }
  }
}

function isStale(path: string, owner: LockOwner, staleMs: number): boolean {
  if (owner.pid === -1) return false;
  if (owner.host === hostname()) return !pidAlive(owner.pid);
  try {
    return Date.now() - statSync(path).mtimeMs > staleMs;
  } catch {
    return true;
  }
}

function breakLock(path: string): void {
  // Rename first so that two breakers cannot both delete a fresh lock taken in between.
  const aside = `${path}.stale.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
    rmSync(aside, { force: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function startHeartbeat(path: string, staleMs: number): HeldLock {
  const timer = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {
      /* lock gone: nothing to refresh */
    }
  }, Math.max(1_000, staleMs / 4));
  timer.unref();
  return {
    release() {
      clearInterval(timer);
      try {
        const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
        if (owner.pid === process.pid && owner.host === hostname()) rmSync(path, { force: true });
      } catch {
        /* already gone */
      }
    },
  };
}
