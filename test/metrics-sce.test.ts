import { describe, expect, it } from 'vitest';
import type * as Report from '../src/metrics-sce.ts';
import type * as Train from '../src/ml/sce/train.ts';

/** True only when A and B are mutually assignable (checked by `tsc --noEmit`, which covers test/). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe('sce.json type', () => {
  it('the report reads the shape the SCE training writes (two declarations until src/metrics.ts is unfrozen)', () => {
    const extras: Same<Report.SceExtras, Train.SceExtras> = true;
    const snapshot: Same<Report.SceSnapshot, Train.SceSnapshot> = true;
    expect([extras, snapshot]).toEqual([true, true]);
  });
});
