/**
 * Turns download events into something a person can watch: a cli-progress bar when the stream is
 * a terminal, plain log lines (every 10%, each retry) otherwise. Also forwards byte counts to the
 * stage's `progress` callback for the engine's own displays. The fetcher itself never prints.
 */
import cliProgress from 'cli-progress';
import { describeDownloadFailure, type DownloadEvent } from './download.ts';
import { unreachable } from '../util/result.ts';

/** Where the reporter writes. */
export interface ProgressSink {
  /** One plain line (the stage's log). */
  log(message: string): void;
  /** `done` of `total` units (bytes here). */
  progress(done: number, total: number): void;
}

/** Options: `tty` draws a bar on `stream` (default: process.stderr when it is a TTY). */
export interface ReporterOptions {
  readonly tty?: boolean;
  readonly stream?: NodeJS.WritableStream;
}

/** An event consumer for {@link fetchToFile}'s `onEvent`, plus `stop()` to close the bar. */
export function downloadReporter(sink: ProgressSink, opts: ReporterOptions = {}): { onEvent: (e: DownloadEvent) => void; stop(): void } {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? (process.stderr.isTTY === true && stream === process.stderr);
  let bar: cliProgress.SingleBar | null = null;
  let lastTenth = -1;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const stop = () => {
    bar?.stop();
    bar = null;
  };
  const onEvent = (e: DownloadEvent): void => {
    switch (e.kind) {
      case 'attempt':
        lastTenth = -1;
        sink.log(`fetching ${e.source} (attempt ${e.attempt} of ${e.of}${e.resumeFrom > 0 ? `, resuming at byte ${e.resumeFrom}` : ''})`);
        return;
      case 'progress': {
        if (e.total !== null) sink.progress(e.bytes, e.total);
        if (tty && e.total !== null) {
          if (!bar) {
            // noTTYOutput: we already decided to draw (tty), so cli-progress must not second-guess the stream.
            bar = new cliProgress.SingleBar({ stream, noTTYOutput: true, format: 'cifar10 [{bar}] {percentage}% | {value}/{total} bytes | ETA {eta}s' }, cliProgress.Presets.shades_classic);
            bar.start(e.total, e.bytes);
          } else bar.update(e.bytes);
          return;
        }
        const tenth = e.total ? Math.floor((10 * e.bytes) / e.total) : Math.floor(e.bytes / 1e7);
        if (tenth > lastTenth) {
          lastTenth = tenth;
          sink.log(e.total ? `  ${mb(e.bytes)} / ${mb(e.total)} MB (${tenth * 10}%)` : `  ${mb(e.bytes)} MB`);
        }
        return;
      }
      case 'retry':
        stop();
        sink.log(`attempt ${e.attempt} failed: ${describeDownloadFailure(e.failure)}; retrying in ${e.delayMs} ms`);
        return;
      case 'hashed':
        stop();
        sink.log(`got ${e.bytes} bytes, MD5 ${e.md5}, SHA-256 ${e.sha256}`);
        return;
      default:
        unreachable(e);
    }
  };
  return { onEvent, stop };
}
