/** A problem in a pipeline file, pointing at the place and saying what would fix it. */
export interface Diagnostic {
  readonly file: string;
  /** 1-based; 0 when the problem has no single place (e.g. a CLI flag). */
  readonly line: number;
  readonly column: number;
  readonly message: string;
  /** What to do about it. */
  readonly hint?: string;
}

/** `file:line:col: error: message\n  hint: ...` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  return `${where}: error: ${d.message}${d.hint ? `\n  fix: ${d.hint}` : ''}`;
}
