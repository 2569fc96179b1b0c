/** `hebb dag`: the stage graph as text, Mermaid or Graphviz dot. */
import { openProject, projectOptions, reportDiagnostics } from './project.ts';
import type { DagOptions } from './options.ts';

/** Runs `dag`; returns the exit code. */
export async function dag(o: DagOptions): Promise<number> {
  const project = await openProject(projectOptions(o, { skipParamCheck: true, readOnly: true }));
  if (!project.ok) return reportDiagnostics(project.error);
  const cells = project.value.cells;
  const stages = [...new Set(cells.map((c) => c.stage))];
  const count = (s: string): number => cells.filter((c) => c.stage === s).length;
  const edges = new Set<string>();
  for (const c of cells) for (const d of c.deps.filter((x) => x.cells.length > 0)) edges.add(`${d.stage}\u0000${c.stage}\u0000${d.cells.length > 1 || d.cells[0]?.includes('@') ? 'many' : 'one'}`);
  const list = [...edges].map((e) => e.split('\u0000') as [string, string, string]);
  const format = o.format;
  const label = (s: string): string => (count(s) > 1 ? `${s} ×${count(s)}` : s);
  let out = '';
  if (format === 'mermaid') {
    out = `graph LR\n${stages.map((s) => `  ${id(s)}["${label(s)}"]`).join('\n')}\n${list.map(([a, b]) => `  ${id(a)} --> ${id(b)}`).join('\n')}\n`;
  } else if (format === 'dot') {
    out = `digraph hebb {\n  rankdir=LR;\n${stages.map((s) => `  "${s}" [label="${label(s)}"];`).join('\n')}\n${list.map(([a, b]) => `  "${a}" -> "${b}";`).join('\n')}\n}\n`;
  } else {
    for (const s of stages) {
      const ups = list.filter(([, b]) => b === s).map(([a, , k]) => (k === 'many' ? `${a}@*` : a));
      out += `${label(s)}${ups.length ? `  ← ${ups.join(', ')}` : ''}\n`;
    }
  }
  process.stdout.write(out);
  return 0;
}

function id(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_');
}
