/**
 * `${...}` references in pipeline.yaml values: `${profile.a.b}`, `${profile.lr[rule]}` (index by
 * a matrix value) and `${rule}` (a matrix value). A string that is exactly one reference takes
 * the referenced value's type; references inside longer strings are interpolated as text.
 */
import { err, ok, type Result } from '../util/result.ts';
import type { Scalar } from '../stage-api.ts';

const WHOLE = /^\$\{([^{}]+)\}$/;
const ANY = /\$\{([^{}]+)\}/g;

/** What a reference can see. */
export interface Scope {
  readonly profile: Readonly<Record<string, unknown>>;
  readonly matrix: Readonly<Record<string, Scalar>>;
}

/** Resolves every reference inside `value` (deeply). The error says which reference failed. */
export function interpolate(value: unknown, scope: Scope): Result<unknown, string> {
  if (typeof value === 'string') {
    const malformed = malformedReference(value);
    if (malformed) return err(malformed);
    const whole = WHOLE.exec(value);
    if (whole) return lookup(whole[1]!.trim(), scope);
    let failure: string | undefined;
    const text = value.replace(ANY, (_m, expr: string) => {
      const r = lookup(expr.trim(), scope);
      if (!r.ok) {
        failure ??= r.error;
        return '';
      }
      if (r.value !== null && typeof r.value === 'object') {
        failure ??= `\${${expr}} is a ${Array.isArray(r.value) ? 'list' : 'map'} and cannot be part of a longer string`;
        return '';
      }
      return formatScalar(r.value as Scalar);
    });
    return failure ? err(failure) : ok(text);
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      const r = interpolate(v, scope);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return ok(out);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = interpolate(v, scope);
      if (!r.ok) return r;
      out[k] = r.value;
    }
    return ok(out);
  }
  return ok(value);
}

/**
 * The problem with a `${` that does not start a well-formed reference (`${}`, an unclosed `${`,
 * or a nested one), as "message\n  fix: hint"; undefined when every `${` is well formed.
 */
export function malformedReference(text: string): string | undefined {
  const at = text.search(/\$\{(?![^{}]+\})/);
  if (at < 0) return undefined;
  const shown = JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
  const fix = '\n  fix: write a reference as ${profile.path} or ${matrix_axis}, closed by }; there is no literal ${ in pipeline.yaml values';
  if (text.startsWith('${}', at)) return `empty reference \${} in ${shown}${fix}`;
  const close = text.indexOf('}', at + 2);
  const open = text.indexOf('{', at + 2);
  if (close < 0) return `unclosed reference in ${shown}: '\${' at character ${at + 1} has no closing '}'${fix}`;
  if (open >= 0 && open < close) return `nested reference in ${shown} at character ${at + 1}: references cannot contain '{'${fix}`;
  return `malformed reference in ${shown} at character ${at + 1}${fix}`;
}

/** A short, stable text form of a scalar for names: 5e-4, 0.01, 0, true, sgd. */
export function formatScalar(v: Scalar): string {
  if (typeof v !== 'number') return String(v);
  if (v !== 0 && Number.isFinite(v) && (Math.abs(v) < 1e-2 || Math.abs(v) >= 1e5)) {
    return v.toExponential().replace('e+', 'e').replace(/\.?0+e/, 'e');
  }
  return String(v);
}

function lookup(expr: string, scope: Scope): Result<unknown, string> {
  const tokens = tokenize(expr);
  if (!tokens) return err(`cannot parse reference \${${expr}}`);
  const [head, ...rest] = tokens;
  let current: unknown;
  let walked: string;
  if (head === 'profile') {
    current = scope.profile;
    walked = 'profile';
  } else if (head !== undefined && head in scope.matrix) {
    current = scope.matrix[head];
    walked = head;
  } else {
    const axes = Object.keys(scope.matrix);
    return err(`unknown variable '${head}' in \${${expr}} (use profile.<name>${axes.length ? ` or a matrix axis: ${axes.join(', ')}` : ''})`);
  }
  for (const t of rest) {
    let key = t;
    if (t.startsWith('[')) {
      const axis = t.slice(1, -1);
      if (!(axis in scope.matrix)) return err(`unknown matrix axis '${axis}' in \${${expr}}`);
      key = formatKey(scope.matrix[axis]!);
    }
    if (current === null || typeof current !== 'object' || !(key in current)) {
      const have = current !== null && typeof current === 'object' ? Object.keys(current).join(', ') : 'nothing';
      return err(`unknown profile variable: \${${expr}} has no '${key}' under '${walked}' (have: ${have})`);
    }
    current = (current as Record<string, unknown>)[key];
    walked += t.startsWith('[') ? `[${key}]` : `.${key}`;
  }
  return ok(current);
}

function formatKey(v: Scalar): string {
  return typeof v === 'number' ? String(v) : String(v);
}

function tokenize(expr: string): string[] | undefined {
  const out: string[] = [];
  const re = /([A-Za-z_][\w-]*)|\.([A-Za-z_0-9][\w-]*)|(\[[A-Za-z_][\w-]*\])/y;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < expr.length && (m = re.exec(expr))) {
    if (out.length === 0 && !m[1]) return undefined;
    out.push(m[1] ?? m[2] ?? m[3]!);
  }
  return re.lastIndex === expr.length && out.length > 0 ? out : undefined;
}
