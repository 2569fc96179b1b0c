/**
 * The loader's guards on raw text: pipeline.yaml must be UTF-8 (a bad byte is an error at its
 * line and column, not a silent U+FFFD), and YAML aliases must neither dangle nor expand without
 * bound (a "billion laughs" file is refused at the first alias, not after it has eaten the memory).
 * `--set` values go through the same YAML checks.
 */
import { isAlias, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { err, ok, type Result } from '../util/result.ts';
import type { Diagnostic } from './diagnostic.ts';

/** Most alias expansions one document may make (the `yaml` package's own default bound). */
export const MAX_ALIAS_COUNT = 100;

/** Decodes `bytes` as strict UTF-8; a bad byte is a diagnostic at its line and column in `file`. */
export function decodeUtf8(bytes: Uint8Array, file: string): Result<string, Diagnostic> {
  try {
    return ok(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    const at = firstInvalidUtf8(bytes);
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, at));
    const lines = before.split('\n');
    return err({
      file,
      line: lines.length,
      column: lines[lines.length - 1]!.length + 1,
      message: `invalid UTF-8: byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at offset ${at} is not part of a UTF-8 character`,
      hint: 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8), or remove the byte',
    });
  }
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
    }
    // Overlong 3-byte forms, surrogates, and code points above U+10FFFF.
    const d1 = b[i + 1] ?? 0;
    if ((c === 0xe0 && d1 < 0xa0) || (c === 0xed && d1 > 0x9f) || (c === 0xf0 && d1 < 0x90) || (c === 0xf4 && d1 > 0x8f)) return i;
    i += n + 1;
  }
  return b.length;
}

/**
 * `doc.toJS()` with its throws turned into diagnostics: an alias whose anchor is not set yet,
 * and aliases that expand too much. `where` maps a source offset to a diagnostic's place.
 */
export function documentToJs(doc: Document, where: (offset: number) => Pick<Diagnostic, 'file' | 'line' | 'column'>): Result<unknown, Diagnostic> {
  try {
    return ok(doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    let firstAlias: number | undefined;
    let unresolved: { offset: number; name: string } | undefined;
    const anchors = new Set<string>();
    visit(doc, {
      Node(_k, node) {
        if (isAlias(node)) {
          firstAlias ??= node.range?.[0];
          if (!anchors.has(node.source) && !unresolved) unresolved = { offset: node.range?.[0] ?? 0, name: node.source };
        } else if (node.anchor) anchors.add(node.anchor);
      },
    });
    if (unresolved || /unresolved alias/i.test(message)) {
      return err({ ...where(unresolved?.offset ?? firstAlias ?? 0), message: `YAML alias *${unresolved?.name ?? '?'} refers to no anchor set before it`, hint: `define &${unresolved?.name ?? 'name'} earlier in the file, or quote the value if '*' is meant literally ("*${unresolved?.name ?? ''}")` });
    }
    if (/alias count|resource exhaustion/i.test(message)) {
      return err({ ...where(firstAlias ?? 0), message: `YAML aliases expand to more than ${MAX_ALIAS_COUNT} copies (aliases of aliases grow exponentially)`, hint: 'write the repeated values out, or use fewer levels of anchors (&a) and aliases (*a)' });
    }
    return err({ ...where(firstAlias ?? 0), message: `YAML: ${message}`, hint: 'fix the YAML at this place' });
  }
}

/** Parses one `--set` value as YAML: the value, or a diagnostic naming the flag and a fix. */
export function parseSetValue(text: string, flag: string): Result<unknown, Diagnostic> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Pick<Diagnostic, 'file' | 'line' | 'column'> => ({ file: '--set', line: 0, column: offset });
  const quoteHint = `quote the value to pass it as text: --set '${flag.slice(0, flag.indexOf('=') + 1)}"${text.replace(/"/g, '\\"')}"'`;
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    return err({ ...at(e.pos[0]), message: `--set ${flag}: the value is not valid YAML (${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}, at character ${e.pos[0] + 1})`, hint: quoteHint });
  }
  const value = documentToJs(doc, at);
  if (!value.ok) return err({ ...value.error, message: `--set ${flag}: ${value.error.message}`, hint: quoteHint });
  return value;
}
