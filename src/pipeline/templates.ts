/**
 * Stage templates: `templates: { name: <part of a stage> }` and `extends: name` in a stage (or in
 * another template). Resolved on the merged document before it is validated, so the schema and
 * every later phase see plain stages. The rules (docs/pipeline-format.md, "Templates"):
 *
 * - the stage's own keys win; `params` and `deps` are merged key by key (the stage's entry wins),
 *   every other key (`matrix`, `outs`, `env`, ...) is replaced whole;
 * - a param inherited from a template yields to a matrix axis of the same name (a param written
 *   in the stage itself and an axis of the same name is still an error);
 * - a template may extend another; an unknown template or a cycle is an error at its `extends:`.
 */
import { err, ok, type Result } from '../util/result.ts';
import type { Diagnostic } from './diagnostic.ts';
import { describeValue, isPlainMap, type DocPath } from './source-file.ts';

/** The merged document with every stage's `extends:` resolved. */
export interface ResolvedTemplates {
  readonly value: unknown;
  /** Per stage that extends a template: the templates it inherits from, nearest first. */
  readonly chains: ReadonlyMap<string, readonly string[]>;
}

/** The keys merged entry by entry rather than replaced. */
const MERGED_KEYS = ['params', 'deps'];

/** Resolves `extends:` in `doc.stages` against `doc.templates`; `at` places a diagnostic. */
export function resolveTemplates(doc: unknown, at: (path: DocPath, message: string, hint?: string) => Diagnostic): Result<ResolvedTemplates, Diagnostic[]> {
  const chains = new Map<string, string[]>();
  if (!isPlainMap(doc) || !isPlainMap(doc.stages)) return ok({ value: doc, chains });
  const templates = isPlainMap(doc.templates) ? doc.templates : {};
  const problems: Diagnostic[] = [];
  const reported = new Set<string>();
  const cycles = new Set<string>();
  const report = (d: Diagnostic): void => {
    const id = `${d.file}:${d.line}:${d.column}:${d.message}`;
    if (!reported.has(id)) problems.push(d);
    reported.add(id);
  };

  /** The templates `start` inherits from, nearest first; undefined after reporting a problem. */
  const chainOf = (start: DocPath, body: Record<string, unknown>): string[] | undefined => {
    const chain: string[] = [];
    let from: DocPath = start;
    let next = body.extends;
    while (next !== undefined) {
      if (typeof next !== 'string') {
        report(at([...from, 'extends'], `extends: expected the name of a template, got ${describeValue(next)}`, 'write extends: <template name>'));
        return undefined;
      }
      if (!(next in templates)) {
        const have = Object.keys(templates);
        report(at([...from, 'extends'], `unknown template '${next}'`, have.length ? `one of: ${have.join(', ')}` : 'define it under templates: (in any pipeline file)'));
        return undefined;
      }
      if (chain.includes(next) || (start[0] === 'templates' && start[1] === next)) {
        const names = start[0] === 'templates' ? [String(start[1]), ...chain, next] : [...chain, next];
        const cycle = names.slice(names.indexOf(next));
        const id = [...new Set(cycle)].sort().join(' ');
        if (!cycles.has(id)) report(at(['templates', next, 'extends'], `template cycle: ${cycle.join(' → ')}`, 'remove one of these extends:'));
        cycles.add(id);
        return undefined;
      }
      chain.push(next);
      const t = templates[next];
      if (!isPlainMap(t)) return chain; // the schema reports a template that is not a map
      from = ['templates', next];
      next = t.extends;
    }
    return chain;
  };

  // Every template's chain is checked, used or not, so a mistake in one is found before it is used.
  for (const [name, t] of Object.entries(templates)) if (isPlainMap(t)) chainOf(['templates', name], t);
  const templatesOut: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(templates)) templatesOut[name] = isPlainMap(t) ? withoutExtends(t) : t;

  const stages: Record<string, unknown> = {};
  for (const [name, stage] of Object.entries(doc.stages)) {
    if (!isPlainMap(stage) || stage.extends === undefined) {
      stages[name] = stage;
      continue;
    }
    const chain = chainOf(['stages', name], stage);
    if (!chain) continue;
    chains.set(name, chain);
    const layers = [...chain].reverse().map((t) => templates[t]).filter(isPlainMap);
    stages[name] = inherit(layers, stage);
  }
  if (problems.length) return err(problems);
  return ok({ value: { ...doc, templates: templatesOut, stages }, chains });
}

/** The stage `own` on top of its templates (root-most first). */
function inherit(layers: readonly Record<string, unknown>[], own: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of [...layers, own]) {
    for (const [key, value] of Object.entries(layer)) {
      if (key === 'extends') continue;
      out[key] = MERGED_KEYS.includes(key) && isPlainMap(out[key]) && isPlainMap(value) ? { ...out[key], ...value } : value;
    }
  }
  // An inherited param yields to a matrix axis of the same name (e.g. a template's lr, swept here).
  if (isPlainMap(out.params) && isPlainMap(out.matrix)) {
    const ownParams = isPlainMap(own.params) ? own.params : {};
    const params = { ...out.params };
    for (const axis of Object.keys(out.matrix)) if (axis in params && !(axis in ownParams)) delete params[axis];
    out.params = params;
  }
  return out;
}

function withoutExtends(t: Record<string, unknown>): Record<string, unknown> {
  const { extends: _extends, ...rest } = t;
  return rest;
}
