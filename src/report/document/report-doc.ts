/**
 * A tiny document model rendered both to Markdown and to self-contained HTML, so report.md and
 * report.html say exactly the same thing. Inline text supports **bold** and `code` only. Pure.
 * Headings get anchors (GitHub's slugs, so report.md's links work there too); a `toc` block lists
 * the level-2 and level-3 headings; a `details` block folds its children (<details><summary>,
 * which GitHub's Markdown renders as well); each figure links to its Vega-Lite spec and data.
 */
import { unreachable } from '../../util/unreachable.ts';

/** One block of the report. */
export type Block =
  | { readonly kind: 'h'; readonly level: 1 | 2 | 3; readonly text: string }
  | { readonly kind: 'p'; readonly text: string }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  | { readonly kind: 'table'; readonly head: readonly string[]; readonly rows: readonly (readonly string[])[] }
  /** `svg` is the figure's markup (inlined in HTML); Markdown links `figures/<name>.svg`. */
  | { readonly kind: 'figure'; readonly name: string; readonly caption: string; readonly svg: string | null }
  | { readonly kind: 'verdict'; readonly status: 'pass' | 'fail' | 'incomplete'; readonly text: string }
  /** The table of contents: the document's level-2 and level-3 headings, linked. */
  | { readonly kind: 'toc' }
  /** Folded content: `summary` is always visible, `blocks` on a click. */
  | { readonly kind: 'details'; readonly summary: string; readonly blocks: readonly Block[] };

/** The text of a heading without its inline markup (what anchors and the TOC are made from). */
const plain = (s: string): string => s.replace(/`([^`]*)`/g, '$1').replace(/\*\*([^*]*)\*\*/g, '$1');

/**
 * The anchor of each heading, in document order: GitHub's rule (lower case; drop what is not a
 * letter, digit, space, `-` or `_`; each space a `-`), `-1`, `-2`, … on repeats.
 */
export function headingAnchors(blocks: readonly Block[]): { level: 1 | 2 | 3; text: string; id: string }[] {
  const seen = new Map<string, number>();
  const out: { level: 1 | 2 | 3; text: string; id: string }[] = [];
  const walk = (bs: readonly Block[]): void => {
    for (const b of bs) {
      if (b.kind === 'details') walk(b.blocks);
      if (b.kind !== 'h') continue;
      const base = plain(b.text).toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, '').replace(/ /g, '-');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.push({ level: b.level, text: plain(b.text), id: n ? `${base}-${n}` : base });
    }
  };
  walk(blocks);
  return out;
}

/** Where a figure's Vega-Lite spec (data inlined) and its SVG lie, relative to the report. */
export const figureFiles = (name: string): { svg: string; spec: string } => ({ svg: `figures/${name}.svg`, spec: `figures/${name}.vl.json` });

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The Markdown of a document. */
export function toMarkdown(blocks: readonly Block[]): string {
  const anchors = headingAnchors(blocks);
  const out: string[] = [];
  const emit = (bs: readonly Block[]): void => {
    for (const b of bs) {
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
        case 'figure': {
          const f = figureFiles(b.name);
          out.push(`![${b.caption}](${f.svg})`, '', `*${b.caption}* [Vega-Lite spec and data](${f.spec}) · [SVG](${f.svg})`, '');
          break;
        }
        case 'verdict':
          out.push(`> **${b.status === 'pass' ? 'PASS' : b.status === 'fail' ? 'FAIL' : 'INCOMPLETE'}** — ${b.text}`, '');
          break;
        case 'toc':
          out.push('**Contents**', '', ...anchors.filter((a) => a.level > 1).map((a) => `${a.level === 3 ? '  ' : ''}- [${a.text}](#${a.id})`), '');
          break;
        case 'details':
          out.push('<details>', `<summary>${esc(plain(b.summary))}</summary>`, '');
          emit(b.blocks);
          out.push('</details>', '');
          break;
        default:
          return unreachable(b);
      }
    }
  };
  emit(blocks);
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
figcaption .figlinks{white-space:nowrap;font-size:.9em}
nav.toc{background:#f8f8f8;border:1px solid #ddd;border-radius:6px;padding:.5em 1em;margin:1em 0}nav.toc ul{margin:.2em 0;padding-left:1.4em}
details{margin:.6em 0;border:1px solid #ddd;border-radius:6px;padding:.3em .8em}details[open]{padding-bottom:.6em}summary{cursor:pointer;font-weight:bold}
td.PASS{color:#137333;font-weight:bold}td.FAIL{color:#b3261e;font-weight:bold}td.SKIPPED{color:#8a6d00;font-weight:bold}
`;

/** A self-contained HTML page: CSS inline, each figure an <img> with a data: URI (ids in separate SVGs cannot clash). */
export function toHtml(title: string, blocks: readonly Block[]): string {
  const anchors = headingAnchors(blocks);
  let heading = 0;
  const body: string[] = [];
  const emit = (bs: readonly Block[]): void => {
    for (const b of bs) {
      switch (b.kind) {
        case 'h':
          body.push(`<h${b.level} id="${esc(anchors[heading++]!.id)}">${inline(b.text)}</h${b.level}>`);
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
        case 'figure': {
          const f = figureFiles(b.name);
          const links = `<span class="figlinks"><a href="${esc(f.spec)}">Vega-Lite spec and data</a> · <a href="${esc(f.svg)}">SVG</a></span>`;
          body.push(
            b.svg
              ? `<figure id="fig-${esc(b.name)}"><img alt="${esc(b.caption)}" src="data:image/svg+xml;base64,${Buffer.from(b.svg, 'utf8').toString('base64')}"><figcaption>${inline(b.caption)} ${links}</figcaption></figure>`
              : `<p><em>Figure ${esc(b.name)} was not rendered.</em></p>`,
          );
          break;
        }
        case 'verdict':
          body.push(`<div class="verdict ${b.status}"><strong>${b.status === 'pass' ? 'PASS' : b.status === 'fail' ? 'FAIL' : 'INCOMPLETE'}</strong> — ${inline(b.text)}</div>`);
          break;
        case 'toc': {
          const items: string[] = [];
          let open = false;
          for (const a of anchors.filter((x) => x.level > 1)) {
            const link = `<a href="#${esc(a.id)}">${esc(a.text)}</a>`;
            if (a.level === 2) {
              if (open) items.push('</ul></li>');
              items.push(`<li>${link}`);
              open = false;
              const next = anchors[anchors.indexOf(a) + 1];
              if (next?.level === 3) {
                items.push('<ul>');
                open = true;
              } else items.push('</li>');
            } else items.push(`<li>${link}</li>`);
          }
          if (open) items.push('</ul></li>');
          body.push(`<nav class="toc"><strong>Contents</strong><ul>${items.join('')}</ul></nav>`);
          break;
        }
        case 'details':
          body.push(`<details><summary>${inline(b.summary)}</summary>`);
          emit(b.blocks);
          body.push('</details>');
          break;
        default:
          return unreachable(b);
      }
    }
  };
  emit(blocks);
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head><body>\n${body.join('\n')}\n</body></html>\n`;
}

