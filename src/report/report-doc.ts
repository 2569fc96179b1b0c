/**
 * A tiny document model rendered both to Markdown and to self-contained HTML, so report.md and
 * report.html say exactly the same thing. Inline text supports **bold** and `code` only. Pure.
 */

/** One block of the report. */
export type Block =
  | { readonly kind: 'h'; readonly level: 1 | 2 | 3; readonly text: string }
  | { readonly kind: 'p'; readonly text: string }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  | { readonly kind: 'table'; readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] }
  /** `svg` is the figure's markup (inlined in HTML); Markdown links `figures/<name>.svg`. */
  | { readonly kind: 'figure'; readonly name: string; readonly caption: string; readonly svg: string | null }
  | { readonly kind: 'verdict'; readonly status: 'pass' | 'fail' | 'incomplete'; readonly text: string };

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The Markdown of a document. */
export function toMarkdown(blocks: readonly Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'h':
        out.push(`${'#'.repeat(b.level)} ${b.text}`, '');
        break;
      case 'p':
        out.push(b.text, '');
        break;
      case 'list':
        out.push(...b.items.map((i) => `- ${i}`), '');
        break;
      case 'table':
        out.push(`| ${b.head.map(cell).join(' | ')} |`, `|${b.head.map(() => '---').join('|')}|`, ...b.rows.map((r) => `| ${r.map(cell).join(' | ')} |`), '');
        break;
      case 'figure':
        out.push(`![${b.caption}](figures/${b.name}.svg)`, '', `*${b.caption}*`, '');
        break;
      case 'verdict':
        out.push(`> **${b.status === 'pass' ? 'PASS' : b.status === 'fail' ? 'FAIL' : 'INCOMPLETE'}** — ${b.text}`, '');
        break;
      default:
        return unreachable(b);
    }
  }
  return out.join('\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Escapes, then turns **x** and `x` into <strong>/<code>. */
function inline(s: string): string {
  return esc(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

const CSS = `
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}code{background:#f3f3f3;padding:0 .2em;border-radius:3px}
figure{margin:1.2em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{font-size:.9em;color:#444}
.verdict{padding:.7em 1em;border-radius:6px;font-size:1.1em;margin:1em 0}
.verdict.pass{background:#e6f4ea;border:1px solid #34a853}.verdict.fail{background:#fce8e6;border:1px solid #d93025}
.verdict.incomplete{background:#fef7e0;border:1px solid #f9ab00}
td.PASS{color:#137333;font-weight:bold}td.FAIL{color:#b3261e;font-weight:bold}td.SKIPPED{color:#8a6d00;font-weight:bold}
`;

/** A self-contained HTML page: CSS inline, each figure an <img> with a data: URI (ids in separate SVGs cannot clash). */
export function toHtml(title: string, blocks: readonly Block[]): string {
  const body: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'h':
        body.push(`<h${b.level}>${inline(b.text)}</h${b.level}>`);
        break;
      case 'p':
        body.push(`<p>${inline(b.text)}</p>`);
        break;
      case 'list':
        body.push(`<ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`);
        break;
      case 'table':
        body.push(
          `<table><thead><tr>${b.head.map((h) => `<th>${inline(h)}</th>`).join('')}</tr></thead><tbody>` +
            b.rows.map((r) => `<tr>${r.map((c) => `<td class="${/^(PASS|FAIL|SKIPPED)$/.test(c) ? c : ''}">${inline(c)}</td>`).join('')}</tr>`).join('') +
            '</tbody></table>',
        );
        break;
      case 'figure':
        body.push(
          b.svg
            ? `<figure id="fig-${esc(b.name)}"><img alt="${esc(b.caption)}" src="data:image/svg+xml;base64,${Buffer.from(b.svg, 'utf8').toString('base64')}"><figcaption>${inline(b.caption)}</figcaption></figure>`
            : `<p><em>Figure ${esc(b.name)} was not rendered.</em></p>`,
        );
        break;
      case 'verdict':
        body.push(`<div class="verdict ${b.status}"><strong>${b.status === 'pass' ? 'PASS' : b.status === 'fail' ? 'FAIL' : 'INCOMPLETE'}</strong> — ${inline(b.text)}</div>`);
        break;
      default:
        return unreachable(b);
    }
  }
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head><body>\n${body.join('\n')}\n</body></html>\n`;
}

function unreachable(x: never): never {
  throw new Error(`unreachable block ${JSON.stringify(x)}`);
}
