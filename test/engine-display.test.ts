import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { liveDisplay, plainDisplay, summaryText } from '../src/cli/display.ts';
import type { EngineEvent } from '../src/engine/events.ts';

const events: EngineEvent[] = [
  { type: 'plan', total: 4 },
  { type: 'cached', cell: 'a', key: 'k1' },
  { type: 'start', cell: 'b', key: 'k2', reasons: ['params.gamma 0.0005 → 0.005'] },
  { type: 'progress', cell: 'b', done: 50, total: 100 },
  { type: 'done', cell: 'b', key: 'k2', durationMs: 1500, reused: false },
  { type: 'start', cell: 'c', key: 'k3', reasons: ['never run'] },
  { type: 'failed', cell: 'c', key: 'k3', message: 'boom\nstack', log: '/x/c.log' },
  { type: 'skipped', cell: 'd', because: 'c' },
  { type: 'finish', summary: { total: 4, cached: 1, shared: 0, ran: 1, reused: 0, failed: [{ cell: 'c', message: 'boom', log: '/x/c.log' }], skipped: 1, wallMs: 2500 } },
];

function capture(make: (s: NodeJS.WriteStream) => (e: EngineEvent) => void, tty: boolean): string {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: tty, columns: 100 });
  let text = '';
  (stream as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
  const sink = make(stream);
  for (const e of events) sink(e);
  return text;
}

describe('displays', () => {
  it('plain: one line per ran/failed/skipped cell with the reason, then the summary', () => {
    const text = capture((s) => plainDisplay(s, false), false);
    expect(text).toContain('start   b  (params.gamma 0.0005 → 0.005)');
    expect(text).toContain('[2/4] done    b  1.5 s');
    expect(text).toContain('[3/4] FAILED  c: boom\n          stack\n          log: /x/c.log');
    expect(text).toContain('[4/4] skipped d (upstream c failed)');
    expect(text).not.toContain('cached  a');
    expect(text).toMatch(/hebb: 4 cells: 1 ran, 1 cached, 1 failed, 1 skipped in 2\.5 s\n {2}FAILED c: boom \(log: \/x\/c\.log\)/);
  });

  it('live: redraws a status line with running cells and their progress', () => {
    const text = capture(liveDisplay, true);
    expect(text).toMatch(/\r\x1b\[K\[1\/4\] 1 cached · 1 running: b/);
    expect(text).toContain('[2/4] done    b  1.5 s');
    expect(text).toContain('hebb: 4 cells: 1 ran');
  });

  it('summary mentions interruption and the shared cache', () => {
    const s = summaryText({ total: 10, cached: 3, shared: 2, ran: 2, reused: 0, failed: [], skipped: 0, interrupted: { stopped: 1, notStarted: 4 }, wallMs: 61_000 });
    expect(s).toContain('3 cached (2 from the shared cache)');
    expect(s).toContain('interrupted: 1 running cells stopped, 4 not started');
  });
});
