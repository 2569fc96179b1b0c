/**
 * The code identity of a stage: its module and every local file it imports, transitively, each
 * hashed after dropping comments and whitespace (the token stream), plus the locked versions of
 * the npm packages those files import. A comment edit changes nothing; an edit to any imported
 * helper changes the identity of exactly the stages that import it.
 *
 * Per-file results are cached by (mtime, size), so a no-op `hebb status` only stats files and
 * never loads the TypeScript scanner.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { sha256 } from '../util/hash.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { codeCacheSchema, parseStoreJson } from '../store/schemas.ts';

/** What goes into a cell's fingerprint under `code`. */
export interface CodeIdentity {
  /** Project-relative path → SHA-256 of its token stream. */
  readonly files: Readonly<Record<string, string>>;
  /** npm package name → locked version. */
  readonly packages: Readonly<Record<string, string>>;
}

interface FileEntry {
  mtimeMs: number;
  size: number;
  hash: string;
  imports: string[];
}

type TS = typeof import('typescript');
const require = createRequire(import.meta.url);
let tsModule: TS | undefined;
const ts = (): TS => (tsModule ??= require('typescript') as TS);

/** Computes code identities for many entry modules, sharing one file cache. */
export class CodeIdentityResolver {
  private readonly cache: Record<string, FileEntry>;
  private dirty = false;
  private readonly lock: Record<string, { version?: string }>;

  /** `root`: project root; `cacheFile`: where per-file results persist between runs (optional). */
  constructor(private readonly root: string, private readonly cacheFile?: string) {
    // A malformed cache ({}, [], null, wrong entries) is dropped and rebuilt: it only saves hashing.
    const cached = cacheFile && existsSync(cacheFile) ? parseStoreJson(readFileSync(cacheFile, 'utf8'), codeCacheSchema) : undefined;
    this.cache = cached?.ok ? cached.value : {};
    const lockPath = join(root, 'package-lock.json');
    this.lock = existsSync(lockPath) ? ((safeJson(readFileSync(lockPath, 'utf8')) as { packages?: Record<string, { version?: string }> } | undefined)?.packages ?? {}) : {};
  }

  /** The identity of `entry` (a path relative to the root). */
  identify(entry: string): CodeIdentity {
    const files: Record<string, string> = {};
    const packages: Record<string, string> = {};
    const queue = [resolve(this.root, entry)];
    while (queue.length) {
      const abs = queue.pop()!;
      const rel = relative(this.root, abs).split(sep).join('/');
      if (rel in files) continue;
      const entryInfo = this.file(abs, rel);
      files[rel] = entryInfo.hash;
      for (const spec of entryInfo.imports) {
        if (spec.startsWith('.') || spec.startsWith('/')) {
          const target = resolveLocal(dirname(abs), spec);
          if (target) queue.push(target);
          else throw new Error(`${rel}: cannot resolve import '${spec}'`);
        } else if (!spec.startsWith('node:')) {
          const pkg = packageName(spec);
          if (isBuiltin(pkg)) continue;
          packages[pkg] = this.versionOf(pkg);
        }
      }
    }
    return { files: sortKeys(files), packages: sortKeys(packages) };
  }

  /**
   * The files of `files` (project-relative path → digest, a CodeIdentity's) whose digest is not
   * the one given any more, or which are gone: what changed since that identity was taken.
   */
  changedSince(files: Readonly<Record<string, string>>): string[] {
    const changed: string[] = [];
    for (const [rel, digest] of Object.entries(files)) {
      const abs = resolve(this.root, rel);
      if (!existsSync(abs) || this.file(abs, rel).hash !== digest) changed.push(rel);
    }
    return changed;
  }

  /** The locked version of a package, else the installed one, else 'unknown'. */
  private versionOf(pkg: string): string {
    const locked = this.lock[`node_modules/${pkg}`]?.version;
    if (locked) return locked;
    try {
      return (JSON.parse(readFileSync(join(this.root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  }

  /** Writes the per-file cache back if anything changed. */
  save(): void {
    if (this.dirty && this.cacheFile) writeFileAtomic(this.cacheFile, JSON.stringify(this.cache));
    this.dirty = false;
  }

  private file(abs: string, rel: string): FileEntry {
    const st = statSync(abs);
    const hit = this.cache[rel];
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    const text = readFileSync(abs, 'utf8');
    const entry: FileEntry = { mtimeMs: st.mtimeMs, size: st.size, hash: CODE_EXT.test(abs) ? sha256(tokenStream(text)) : sha256(readFileSync(abs)), imports: CODE_EXT.test(abs) ? importsOf(text) : [] };
    this.cache[rel] = entry;
    this.dirty = true;
    return entry;
  }
}

/** Files hashed as code (token stream, imports followed); any other referenced file is hashed byte for byte. */
const CODE_EXT = /\.(?:[cm]?[jt]s|tsx|jsx)$/;

/** The source's tokens without comments or whitespace, joined: what the code identity hashes. */
export function tokenStream(text: string): string {
  const t = ts();
  const scanner = t.createScanner(t.ScriptTarget.Latest, true, t.LanguageVariant.Standard, text);
  const out: string[] = [];
  const braces: boolean[] = []; // true = a `${` of a template
  let prev: import('typescript').SyntaxKind | undefined;
  for (let kind = scanner.scan(); kind !== t.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if ((kind === t.SyntaxKind.SlashToken || kind === t.SyntaxKind.SlashEqualsToken) && !endsExpression(t, prev)) kind = scanner.reScanSlashToken();
    if (kind === t.SyntaxKind.TemplateHead) braces.push(true);
    else if (kind === t.SyntaxKind.OpenBraceToken) braces.push(false);
    else if (kind === t.SyntaxKind.CloseBraceToken && braces.pop() === true) {
      kind = scanner.reScanTemplateToken(false);
      if (kind === t.SyntaxKind.TemplateMiddle) braces.push(true);
    }
    out.push(scanner.getTokenText());
    prev = kind;
  }
  return out.join('\u0001');
}

/**
 * Module specifiers a file imports: static, dynamic, `export ... from`, and `require`; plus the
 * local files it references as `new URL('./file', import.meta.url)` (sources it compiles or reads
 * at run time, such as the AssemblyScript kernels), which are part of its code too.
 */
export function importsOf(text: string): string[] {
  const info = ts().preProcessFile(text, true, true);
  const assets = [...text.matchAll(/new URL\(\s*(['"])(\.{1,2}\/[^'"]+)\1\s*,\s*import\.meta\.url\s*\)/g)].map((m) => m[2]!);
  return [...new Set([...info.importedFiles.map((f) => f.fileName), ...assets])];
}

function endsExpression(t: TS, kind: import('typescript').SyntaxKind | undefined): boolean {
  if (kind === undefined) return false;
  const K = t.SyntaxKind;
  return kind === K.Identifier || kind === K.NumericLiteral || kind === K.StringLiteral || kind === K.CloseParenToken || kind === K.CloseBracketToken || kind === K.CloseBraceToken || kind === K.NoSubstitutionTemplateLiteral || kind === K.TemplateTail || kind === K.ThisKeyword || kind === K.RegularExpressionLiteral || (kind >= K.FirstKeyword && kind <= K.LastKeyword && kind !== K.ReturnKeyword && kind !== K.TypeOfKeyword && kind !== K.InKeyword && kind !== K.CaseKeyword && kind !== K.DeleteKeyword && kind !== K.VoidKeyword);
}

function resolveLocal(dir: string, spec: string): string | undefined {
  const base = resolve(dir, spec);
  const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}.js`, join(base, 'index.ts'), join(base, 'index.js')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const BUILTINS = new Set(require('node:module').builtinModules as string[]);
function isBuiltin(name: string): boolean {
  return BUILTINS.has(name);
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
