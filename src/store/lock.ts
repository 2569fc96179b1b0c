/**
 * Per-key locks shared by every `hebb` process on one artifacts directory (and by cluster tasks
 * on a shared filesystem). A lock is a file created with O_EXCL holding {pid, host, since}.
 * Holders refresh the file's mtime as a heartbeat, from a worker thread, so a stage that blocks
 * the event loop for hours (a synchronous training loop) still beats. A lock is stale, and
 * broken, when its heartbeat is older than `staleMs` (whatever its PID: after a container
 * restart a PID is often reused by an unrelated process), or at once when its same-host PID is
 * dead. A waiter says what it waits for, who holds it and since when.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Who holds a lock. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/** A lock without a heartbeat for this long is stale: $HEBB_LOCK_STALE_MS, else 60 s. */
export function defaultStaleMs(): number {
  const v = Number(process.env.HEBB_LOCK_STALE_MS);
  return Number.isFinite(v) && v >= 1000 ? v : 60_000;
}

/** What a waiter is told: who holds the lock, since when, and how fresh its heartbeat is. */
export interface LockWait {
  readonly path: string;
  readonly owner: LockOwner;
  /** Milliseconds since the holder's last heartbeat. */
  readonly heartbeatAgeMs: number;
  readonly staleMs: number;
  /** When this waiter started waiting (ISO time). */
  readonly waitingSince: string;
}

/** The line a waiter prints: what it waits for, who holds it, since when, and when it will be broken. */
export function describeWait(what: string, w: LockWait): string {
  const age = Number.isFinite(w.heartbeatAgeMs) ? `${Math.round(w.heartbeatAgeMs / 1000)} s ago` : 'none';
  return `waiting for ${what}, locked by pid ${w.owner.pid} on ${w.owner.host} since ${w.owner.since} (last heartbeat ${age}); waiting since ${w.waitingSince}; the lock is broken if its heartbeat stops for ${Math.round(w.staleMs / 1000)} s (${w.path})`;
}

/** Options for acquire. */
export interface LockOptions {
  /** A lock without a heartbeat for this long is stale, whatever its PID (default: defaultStaleMs()). */
  readonly staleMs?: number;
  /** Poll interval while waiting. */
  readonly pollMs?: number;
  /** Called when the lock is found held by a live owner, and again each time the owner changes. */
  readonly onWait?: (wait: LockWait) => void;
  /** Give up after this long (default: wait forever). */
  readonly timeoutMs?: number;
}

/** A held lock. */
export interface HeldLock {
  release(): void;
}

/** Takes the lock at `path`, waiting while another live process holds it. */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<HeldLock> {
  const staleMs = opts.staleMs ?? defaultStaleMs();
  const started = Date.now();
  let told = '';
  for (;;) {
    const held = tryCreate(path);
    if (held) return startHeartbeat(path, staleMs);
    const owner = readOwner(path);
    if (owner === undefined || isStale(path, owner, staleMs)) {
      breakLock(path);
      continue;
    }
    const who = `${owner.pid}@${owner.host}@${owner.since}`;
    if (told !== who) {
      opts.onWait?.({ path, owner, heartbeatAgeMs: heartbeatAge(path), staleMs, waitingSince: new Date(started).toISOString() });
      told = who;
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
  // The heartbeat decides, whatever the PID: a live PID may belong to another process by now.
  if (heartbeatAge(path) > staleMs) return true;
  return owner.host === hostname() && !pidAlive(owner.pid);
}

/** Milliseconds since the lock file's mtime (its holder's last heartbeat); Infinity when it is gone. */
function heartbeatAge(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return Infinity;
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
  heldPaths.add(path);
  heartbeats(Math.max(250, Math.min(15_000, staleMs / 4))).postMessage({ add: path });
  return {
    release() {
      heldPaths.delete(path);
      heartbeatThread?.worker.postMessage({ remove: path });
      try {
        const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
        if (owner.pid === process.pid && owner.host === hostname()) rmSync(path, { force: true });
      } catch {
        /* already gone */
      }
    },
  };
}

/** The heartbeat thread's code: touch every held lock file at a fixed interval. */
const HEARTBEAT_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { utimesSync } = require('node:fs');
const held = new Set();
parentPort.on('message', (m) => { if (m.add) held.add(m.add); if (m.remove) held.delete(m.remove); });
setInterval(() => {
  const now = new Date();
  for (const p of held) { try { utimesSync(p, now, now); } catch { /* lock gone */ } }
}, workerData.everyMs);
`;

let heartbeatThread: { worker: Worker; everyMs: number } | undefined;
/** Lock files this process holds (handed to a new heartbeat thread when the interval shrinks). */
const heldPaths = new Set<string>();

/** The process's one heartbeat thread (unref'd: it never keeps the process alive). */
function heartbeats(everyMs: number): Worker {
  if (!heartbeatThread || heartbeatThread.everyMs > everyMs) {
    void heartbeatThread?.worker.terminate();
    const worker = new Worker(HEARTBEAT_THREAD, { eval: true, workerData: { everyMs } });
    worker.unref();
    for (const p of heldPaths) worker.postMessage({ add: p });
    heartbeatThread = { worker, everyMs };
  }
  return heartbeatThread.worker;
}
