/**
 * What a cell that ran past its timeout leaves behind: the executor has killed its process, so
 * this keeps the log it had written so far (as logs/<key>.log, like any failed cell's), removes
 * its private temp directory, and says what happened and what to do.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { formatDuration } from '../pipeline/duration.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import type { CellFailure, CellJob } from '../engine/executor.ts';

/** The failure of `job`, killed after its timeout in process `pid`; keeps the cell's log under `artifacts`/logs. */
export function timedOut(artifacts: string, job: CellJob, pid: number | undefined): CellFailure {
  const limit = formatDuration(job.timeoutMs ?? 0);
  const stage = job.cell.split('@')[0]!;
  const log = salvageLog(artifacts, job.key, pid, `# TIMEOUT: still running after ${limit} (the timeout of stage ${stage}); the process was killed`);
  return {
    reason: 'timeout',
    ...(log ? { log: join(artifacts, 'logs', `${job.key}.log`) } : {}),
    message: `timed out: still running after ${limit}, the timeout of stage ${stage}; the cell was stopped and nothing was stored${log ? '' : ' (it wrote no log)'}\nfix: see why it hangs in its log, or raise timeout: for stage ${stage} in pipeline.yaml (docs/pipeline-format.md)`,
  };
}

/** Moves the killed cell's log out of its temp dir (tmp/.<key16>.<pid>.*.tmp, see Store.makeTempDir) to logs/<key>.log; whether one was found. */
function salvageLog(artifacts: string, key: string, pid: number | undefined, last: string): boolean {
  const tmp = join(artifacts, 'tmp');
  if (pid === undefined || !existsSync(tmp)) return false;
  let found = false;
  for (const name of readdirSync(tmp)) {
    if (!name.startsWith(`.${key.slice(0, 16)}.${pid}.`)) continue;
    const dir = join(tmp, name);
    const log = join(dir, 'cell.log');
    try {
      if (existsSync(log)) {
        appendFileSync(log, `${last}\n`);
        writeFileAtomic(join(artifacts, 'logs', `${key}.log`), readFileSync(log));
        found = true;
      }
    } catch {
      /* the log is a convenience */
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return found;
}
