/**
 * Consumers of engine events: a live one-line display for terminals (cells done/total, running
 * cells, cache hits, ETA) and plain line logs for CI and files.
 */
import type { EngineEvent, EventSink } from '../engine/events.ts';
import { droppedWarning } from '../engine/outputs.ts';

/** Chooses the display for a stream. */
export function makeDisplay(out: NodeJS.WriteStream, opts: { verbose?: boolean; forcePlain?: boolean } = {}): EventSink {
  return out.isTTY && !opts.forcePlain ? liveDisplay(out) : plainDisplay(out, opts.verbose ?? false);
}

const secs = (ms: number): string => (ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`);

/** The permanent line for a finished, failed, skipped or corrupt cell (undefined for others). */
function lineFor(e: EngineEvent, finished: number, total: number): string | undefined {
  const n = `[${finished}/${total}]`;
  switch (e.type) {
    case 'done':
      return `${n} ${e.reused ? 'reused ' : 'done   '} ${e.cell}  ${secs(e.durationMs)}${e.dropped ? `\n          warning: ${droppedWarning(e.cell, e.dropped)}` : ''}`;
    case 'failed':
      return `${n} FAILED  ${e.cell}: ${e.message.split('\n').slice(0, 12).join('\n          ')}${e.log ? `\n          log: ${e.log}` : ''}`;
    case 'skipped':
      return `${n} skipped ${e.cell} (upstream ${e.because} failed)`;
    case 'corrupt':
      return `          corrupt ${e.cell}: ${e.message}`;
    case 'waiting':
      return `          waiting ${e.cell}: ${e.message}`;
    default:
      return undefined;
  }
}

/** Plain lines: one per cell that ran or failed; cache hits summarised at the end. */
export function plainDisplay(out: NodeJS.WritableStream, verbose: boolean): EventSink {
  let total = 0;
  let finished = 0;
  return (e: EngineEvent) => {
    if (e.type === 'done' || e.type === 'failed' || e.type === 'skipped' || e.type === 'cached') finished++;
    if (e.type === 'plan') {
      total = e.total;
      out.write(`hebb: ${total} cells\n`);
    } else if (e.type === 'cached') {
      if (verbose) out.write(`[${finished}/${total}] cached  ${e.cell}\n`);
    } else if (e.type === 'start') {
      out.write(`          start   ${e.cell}  (${e.reasons.slice(0, 2).join('; ')})\n`);
    } else if (e.type === 'finish') {
      out.write(summaryText(e.summary));
    } else {
      const line = lineFor(e, finished, total);
      if (line) out.write(`${line}\n`);
    }
  };
}

/** A redrawn status line plus permanent lines for finished and failed cells. */
export function liveDisplay(out: NodeJS.WriteStream): EventSink {
  let total = 0;
  let finished = 0;
  let cached = 0;
  let ranMs = 0;
  let ran = 0;
  const running = new Map<string, string>();
  let last = 0;
  const start = Date.now();
  const draw = (force = false): void => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    const left = total - finished;
    const eta = ran > 0 && running.size > 0 ? ` · ETA ${secs(Math.round(((ranMs / ran) * left) / Math.max(1, running.size)))}` : '';
    const names = [...running.entries()].slice(0, 3).map(([c, p]) => `${c}${p}`).join(', ');
    const line = `[${finished}/${total}] ${cached} cached · ${running.size} running${names ? `: ${names}` : ''}${eta} · ${secs(now - start)}`;
    out.write(`\r\x1b[K${line.slice(0, (out.columns || 120) - 1)}`);
  };
  const clear = (): void => void out.write('\r\x1b[K');
  return (e: EngineEvent) => {
    switch (e.type) {
      case 'plan':
        total = e.total;
        break;
      case 'cached':
        finished++;
        cached++;
        break;
      case 'start':
        running.set(e.cell, '');
        break;
      case 'progress':
        running.set(e.cell, ` ${Math.round((100 * e.done) / Math.max(1, e.total))}%`);
        break;
      case 'done':
      case 'failed':
      case 'skipped':
        running.delete(e.cell);
        if (e.type === 'done') {
          ran++;
          ranMs += e.durationMs;
        }
        finished++;
        clear();
        out.write(`${lineFor(e, finished, total)}\n`);
        break;
      case 'corrupt':
      case 'waiting':
        clear();
        out.write(`${lineFor(e, finished, total)}\n`);
        break;
      case 'finish':
        clear();
        out.write(summaryText(e.summary));
        return;
    }
    draw(e.type !== 'progress');
  };
}

/** The closing summary of a run. */
export function summaryText(s: import('../engine/events.ts').RunSummary): string {
  const lines = [`hebb: ${s.total} cells: ${s.ran} ran, ${s.cached} cached${s.shared ? ` (${s.shared} from the shared cache)` : ''}${s.reused ? `, ${s.reused} reused from another process` : ''}, ${s.failed.length} failed, ${s.skipped} skipped${s.leftOut ? `, ${s.leftOut} left out (--without)` : ''} in ${secs(s.wallMs)}`];
  if (s.interrupted) lines.push(`hebb: interrupted: ${s.interrupted.stopped} running cells stopped, ${s.interrupted.notStarted} not started; finished cells are kept — run the same command to carry on`);
  for (const f of s.failed) lines.push(`  FAILED ${f.cell}: ${f.message.split('\n')[0]}${f.log ? ` (log: ${f.log})` : ''}`);
  return `${lines.join('\n')}\n`;
}
