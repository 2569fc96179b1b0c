/**
 * What `hebb check` prints and returns, and the JUnit XML the check stage writes. Pure.
 */
import type { CheckResult, ChecksFile } from './checks.ts';

/** Options of `hebb check`. */
export interface CheckCliOptions {
  /** Turn SKIPPED (of gating checks) into a failure. */
  readonly requireAll?: boolean;
}

/**
 * The CLI's `hebb check`: given checks.json's content (parsed or as text), the lines to print and
 * the exit code: 1 on any gating FAIL (or, with requireAll, any gating SKIPPED), 2 when the file
 * is not a checks.json, else 0. Report-only checks never change the exit code.
 */
export function formatCheckReport(checks: unknown, opts: CheckCliOptions = {}): { text: string; exitCode: number } {
  const file = typeof checks === 'string' ? safeParse(checks) : checks;
  if (!isChecksFile(file)) return { text: 'checks.json is not a checks file (schema 1 with results[])', exitCode: 2 };
  const lines: string[] = [];
  let failing = 0;
  let skippedGating = 0;
  for (const r of file.results) {
    const tag = r.gate ? '' : ' (report only)';
    const fig = r.figure ? ` [${/^[0-9]/.test(r.figure) ? `Fig. ${r.figure}` : r.figure}]` : '';
    lines.push(`${r.status.padEnd(7)} ${r.name}${tag}${fig}: ${r.why}`);
    for (const i of r.items) {
      lines.push(`          ${i.status.padEnd(7)} ${i.label}: ${i.why}`);
      const m = compact(i.measured);
      if (m) lines.push(`                  measured: ${m}`);
    }
    if (r.gate && r.status === 'FAIL') failing++;
    if (r.gate && r.status === 'SKIPPED') skippedGating++;
  }
  // Counted separately for gating and report-only checks: a report-only FAIL must not read as a failure.
  const count = (gate: boolean, status: string): number => file.results.filter((r) => r.gate === gate && r.status === status).length;
  lines.push('');
  lines.push(
    `gating checks: ${count(true, 'PASS')} PASS, ${failing} FAIL, ${skippedGating} SKIPPED` +
      (opts.requireAll && skippedGating ? ` (--require-all: SKIPPED counts as a failure)` : '') +
      ` · report-only: ${count(false, 'PASS')} PASS, ${count(false, 'FAIL')} FAIL, ${count(false, 'SKIPPED')} SKIPPED` +
      ` → ${failing > 0 || (opts.requireAll && skippedGating > 0) ? 'FAILED' : 'OK'}`,
  );
  const exitCode = failing > 0 || (opts.requireAll && skippedGating > 0) ? 1 : 0;
  return { text: lines.join('\n'), exitCode };
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

function isChecksFile(x: unknown): x is ChecksFile {
  return typeof x === 'object' && x !== null && (x as { schema?: unknown }).schema === 1 && Array.isArray((x as { results?: unknown }).results);
}

function compact(m: Readonly<Record<string, unknown>>): string {
  const s = JSON.stringify(m);
  if (s === '{}') return '';
  return s.length > 300 ? s.slice(0, 297) + '...' : s;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** checks.junit.xml: one testcase per check; gating FAIL → <failure>, SKIPPED → <skipped>; report-only results pass with their outcome in system-out. */
export function checksJUnit(file: ChecksFile, suiteName = 'hebb-checks'): string {
  const cases = file.results.map((r) => testcase(r));
  const failures = file.results.filter((r) => r.gate && r.status === 'FAIL').length;
  const skipped = file.results.filter((r) => r.status === 'SKIPPED').length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(suiteName)}" tests="${file.results.length}" failures="${failures}" errors="0" skipped="${skipped}">`,
    `  <testsuite name="${esc(suiteName)}" tests="${file.results.length}" failures="${failures}" errors="0" skipped="${skipped}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function testcase(r: CheckResult): string {
  const detail = [
    `${r.status}${r.gate ? '' : ' (report only)'}: ${r.why}`,
    ...r.items.map((i) => `${i.status} ${i.label}: ${i.why} ${compact(i.measured)}`),
  ].join('\n');
  const inner: string[] = [];
  if (r.status === 'FAIL' && r.gate) inner.push(`      <failure message="${esc(r.why)}" type="${esc(r.kind)}">${esc(detail)}</failure>`);
  if (r.status === 'SKIPPED') inner.push(`      <skipped message="${esc(r.why)}"/>`);
  inner.push(`      <system-out>${esc(detail)}</system-out>`);
  return [`    <testcase name="${esc(r.name)}" classname="hebb.check.${esc(r.kind)}">`, ...inner, '    </testcase>'].join('\n');
}
