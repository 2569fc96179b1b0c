// Issue 11, item 13: a per-stage `timeout:` fails a hanging cell with a clear message, keeps its
// log, leaves the store usable, and is not part of any cache key.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_TIMEOUT_MS, parseDuration, stageTimeoutMs } from '../src/pipeline/duration.ts';
import { Rig } from './rig.ts';

const HANG = `import { z } from 'zod';
export default {
  params: z.object({}).strict(),
  async run(ctx: { log(line: string): void }) {
    ctx.log('about to hang');
    for (;;) {} // a synchronous loop: only SIGKILL stops it
  },
};
`;

describe('stage timeouts (issue 11, item 13)', () => {
  let rig: Rig;
  beforeEach(() => {
    rig = Rig.create();
  });
  afterEach(() => rig.dispose());

  it('a cell that hangs past its timeout fails with the limit, the stage and a fix; the rest of the run goes on', async () => {
    rig.write('stages/hang.ts', HANG);
    rig.edit('pipeline.yaml', 'stages:\n', 'stages:\n  hang:\n    run: stages/hang.ts\n    timeout: 20s\n    outs: [never.json]\n');
    const t0 = Date.now();
    const r = await rig.hebb(['repro', '-j', '2', '--plain']);
    expect(Date.now() - t0).toBeLessThan(150_000); // generous: the CI box may be loaded
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAILED {2}hang: timed out: still running after 20s, the timeout of stage hang; the cell was stopped and nothing was stored\n\s+fix: see why it hangs in its log, or raise timeout: for stage hang in pipeline\.yaml/);
    expect(r.stderr).not.toMatch(/internal error|worker process died/);
    // Its log is kept, ending with what happened; its temp dir is gone.
    const log = /log: (\S+\.log)/.exec(r.stderr)?.[1];
    expect(log).toBeDefined();
    expect(readFileSync(log!, 'utf8')).toMatch(/about to hang\n# TIMEOUT: still running after 20s/);
    expect(readdirSync(rig.path('artifacts', 'tmp')).filter((f) => f.startsWith('.') && !f.startsWith('.object'))).toEqual([]);
    // The other cells ran (keep-going), and a second run only retries the hanging cell.
    expect(r.stderr).toMatch(/7 ran, 0 cached, 1 failed/);
    rig.edit('pipeline.yaml', 'timeout: 20s', 'timeout: 1s');
    const again = await rig.hebb(['repro', '--plain', 'sum']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/0 ran, 7 cached/);
  }, 240_000);

  it('changing a timeout re-runs nothing (it is not part of the key)', async () => {
    rig.edit('pipeline.yaml', '    outs: [value.json]', '    timeout: 30s\n    outs: [value.json]');
    const first = await rig.hebb(['repro']);
    expect(first.code, first.stderr).toBe(0);
    rig.clearRuns();
    rig.edit('pipeline.yaml', 'timeout: 30s', 'timeout: 2h');
    const second = await rig.hebb(['repro']);
    expect(second.code, second.stderr).toBe(0);
    expect(rig.runs()).toEqual([]);
    expect(second.stderr).toMatch(/0 ran, 7 cached/);
  });

  it('a malformed timeout is bad input with the place and a fix', async () => {
    rig.edit('pipeline.yaml', '    outs: [value.json]', '    timeout: soon\n    outs: [value.json]');
    const r = await rig.hebb(['repro']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pipeline\.yaml:20:5: error: timeout "soon": is not a duration\n\s+fix: write seconds \(600\) or a duration \('90s', '30m', '6h', '1h30m'\), or 'none' for no limit/);
    expect(existsSync(rig.path('runs.log'))).toBe(false);
  });

  it('durations, and the default of training stages (env: [backend])', () => {
    expect(parseDuration(600)).toEqual({ ok: true, value: 600_000 });
    expect(parseDuration('1h30m')).toEqual({ ok: true, value: 5_400_000 });
    expect(parseDuration('500ms')).toEqual({ ok: true, value: 500 });
    expect(parseDuration('none')).toEqual({ ok: true, value: undefined });
    expect(parseDuration('0s').ok).toBe(false);
    expect(parseDuration('5 minutes').ok).toBe(false);
    expect(stageTimeoutMs({ env: ['backend'] })).toBe(DEFAULT_TRAINING_TIMEOUT_MS);
    expect(stageTimeoutMs({ env: ['backend'], timeout: 'none' })).toBeUndefined();
    expect(stageTimeoutMs({ env: ['backend'], timeout: '10m' })).toBe(600_000);
    expect(stageTimeoutMs({})).toBeUndefined();
  });
});
