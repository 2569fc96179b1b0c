/**
 * Which training cells belong to which aggregate. Training cells carry params such as `grid`
 * (table1 / noise / lr-sweep) or `variant` (paper / stationary); an aggregate selects its cells
 * with a `select` map of param → accepted value(s). Absent groups simply select nothing.
 */

/** A selector: every key must match; a list accepts any of its values. */
export type Selector = Readonly<Record<string, string | number | boolean | readonly (string | number | boolean)[]>>;

/** Whether `fields` (a cell's params merged with its metrics' identity) satisfies `sel`. */
export function matches(fields: Readonly<Record<string, unknown>>, sel: Selector | undefined): boolean {
  if (!sel) return true;
  for (const [key, want] of Object.entries(sel)) {
    const have = fields[key];
    const accepted = Array.isArray(want) ? want : [want];
    if (!accepted.some((w) => sameValue(w, have))) return false;
  }
  return true;
}

function sameValue(want: unknown, have: unknown): boolean {
  if (want === have) return true;
  // YAML may give `5e-4` as a number on one side and a string on the other.
  if (typeof want === 'number' || typeof have === 'number') return Number(want) === Number(have) && have !== undefined && have !== null && have !== '';
  return String(want) === String(have);
}
