/**
 * The one safety check for members of untrusted tar archives (a CIFAR-10 download, a bundle):
 * a member may only name a plain path inside the extraction root and be a regular file (or, where
 * the reader allows them, a directory). Each reader maps the problem into its own error values.
 */

/** Why a member's path or type is unsafe to extract. */
export type TarMemberProblemKind = 'absolute-path' | 'parent-dir' | 'symlink' | 'hardlink' | 'device' | 'unsupported-type';

/** A member's problem: its kind and a sentence naming the member. */
export interface TarMemberProblem {
  readonly kind: TarMemberProblemKind;
  readonly detail: string;
}

/** The problem with a member's path (absolute, a drive letter, or a `..` segment), or null. */
export function tarPathProblem(path: string): TarMemberProblem | null {
  if (path.startsWith('/') || path.startsWith('\\') || /^[a-zA-Z]:/.test(path)) {
    return { kind: 'absolute-path', detail: `absolute path '${path}'` };
  }
  if (path.split(/[\\/]/).includes('..')) return { kind: 'parent-dir', detail: `path '${path}' contains '..'` };
  return null;
}

/**
 * The problem with a member's type as the `tar` package names it, or null for a regular file (and
 * for a directory when `directories` is true): links and devices are never extracted.
 */
export function tarTypeProblem(path: string, type: string, options: { readonly directories: boolean }): TarMemberProblem | null {
  switch (type) {
    case 'File': case 'OldFile': case 'ContiguousFile':
      return null;
    case 'Directory': case 'GNUDumpDir':
      return options.directories ? null : { kind: 'unsupported-type', detail: `entry '${path}' of unsupported type ${type}` };
    case 'SymbolicLink':
      return { kind: 'symlink', detail: `symbolic link '${path}'` };
    case 'Link':
      return { kind: 'hardlink', detail: `hard link '${path}'` };
    case 'CharacterDevice': case 'BlockDevice': case 'FIFO':
      return { kind: 'device', detail: `${type} entry '${path}'` };
    default:
      return { kind: 'unsupported-type', detail: `entry '${path}' of unsupported type ${type}` };
  }
}
