/**
 * Durations in pipeline.yaml (a stage's `timeout:`), and the default limit of training stages.
 * A timeout bounds how long one cell may run; it is not part of any cache key.
 */
import { err, ok, type Result } from '../util/result.ts';

/**
 * The timeout of a stage that declares `env: [backend]` (its results depend on the compute
 * backend: it trains) and sets no `timeout:` of its own: 6 h, over 50 times the slowest cell of
 * the paper profile on 2 cores (a CIFAR-10 cell, ~5 min).
 */
export const DEFAULT_TRAINING_TIMEOUT_MS = 6 * 3600_000;

/** Environment fact whose declaration marks a stage as a training stage. */
export const TRAINING_FACT = 'backend';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** `600` (seconds), `'90s'`, `'30m'`, `'6h'`, `'1h30m'`, `'500ms'` → milliseconds; `'none'` → undefined (no limit). */
export function parseDuration(v: number | string): Result<number | undefined, string> {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? ok(Math.round(v * 1000)) : err('must be a positive number of seconds');
  const text = v.trim();
  if (text === 'none') return ok(undefined);
  const re = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/y;
  let total = 0;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < text.length && (m = re.exec(text))) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  if (re.lastIndex !== text.length || text === '') return err('is not a duration');
  return total > 0 ? ok(Math.round(total)) : err('must be longer than zero');
}

/** A stage's effective timeout: its own `timeout:`, else the training default when it declares `env: [backend]`, else none. */
export function stageTimeoutMs(stage: { readonly timeout?: number | string; readonly env?: readonly string[] }): number | undefined {
  if (stage.timeout !== undefined) {
    const t = parseDuration(stage.timeout);
    return t.ok ? t.value : undefined;
  }
  return stage.env?.includes(TRAINING_FACT) ? DEFAULT_TRAINING_TIMEOUT_MS : undefined;
}

/** 90000 → '1m30s', 21600000 → '6h'. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let s = Math.round(ms / 1000);
  for (const [unit, size] of [['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.join('');
}
