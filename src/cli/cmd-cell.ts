/** `hebb run-cell <key>` and the worker loop behind the local executor. */
import { resolve } from 'node:path';
import { Store } from '../store/store.ts';
import { runCell } from '../engine/run-cell.ts';
import { isHex64 } from '../store/schemas.ts';
import type { WorkerMessage, WorkerRequest } from '../exec/local.ts';
import { artifactsDir } from './project.ts';
import { formatIoFailure, ioFailure } from '../util/io-error.ts';
import type { GlobalOptions, RunCellCommandOptions } from './options.ts';

function storeOf(o: GlobalOptions): Store {
  return new Store(artifactsDir(o.pipeline, o.artifacts));
}

/** The shared cache named by $HEBB_CACHE_DIR (the parent sets it from --cache-dir or pipeline.yaml). */
function sharedOf(): Store | undefined {
  return process.env.HEBB_CACHE_DIR ? new Store(resolve(process.env.HEBB_CACHE_DIR)) : undefined;
}

/** Runs one cell; exit 0 when its record exists afterwards. Either way its outcome record says how it ended. */
export async function runCellCommand(o: RunCellCommandOptions, key: string): Promise<number> {
  if (!isHex64(key)) {
    process.stderr.write(`hebb run-cell: ${JSON.stringify(key).slice(0, 80)} is not a cell key\n  fix: pass the 64-hex-digit key of a planned cell (hebb status --json lists them)\n`);
    return 2;
  }
  const shared = sharedOf();
  const result = await runCell(storeOf(o), key, { hooks: { echo: (l) => process.stderr.write(`${l}\n`) }, ...(shared ? { shared } : {}), ...(o.attempt !== undefined ? { attempt: o.attempt } : {}) });
  if (result.ok) {
    process.stdout.write(`${result.value.reused ? 'reused' : 'done'} ${result.value.record.cell} ${key}\n`);
    return 0;
  }
  process.stderr.write(`hebb run-cell: ${result.error.reason}: ${result.error.message}\n`);
  return 1;
}

/** Serves run requests from the parent over IPC until it disconnects. */
export async function workerLoop(o: GlobalOptions): Promise<void> {
  const store = storeOf(o);
  const shared = sharedOf();
  const send = (m: WorkerMessage): void => {
    if (process.connected) process.send!(m);
  };
  // The parent is gone (finished, Ctrl-C, or killed): stop at once; the store stays consistent.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(143));
  await new Promise<void>(() => {
    process.on('message', (m: WorkerRequest) => {
      if (m.type !== 'run') return;
      const hooks = { progress: (done: number, total: number) => send({ type: 'progress', key: m.key, done, total }), waiting: (line: string) => send({ type: 'waiting', key: m.key, line }) };
      void runCell(store, m.key, { hooks, ...(shared ? { shared } : {}) }).then(
        (result) => send({ type: 'result', key: m.key, result }),
        (e: unknown) => {
          // Storing the outputs failed (disk full, read-only store): the store is unchanged, the cell failed.
          const io = ioFailure(e);
          send({ type: 'result', key: m.key, result: { ok: false, error: { reason: 'stage-error', message: io ? `storing the outputs: ${formatIoFailure(io, 'cannot write', store.dir)}` : e instanceof Error ? e.message : String(e) } } });
        },
      );
    });
  });
}
