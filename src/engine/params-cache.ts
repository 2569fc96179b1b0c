/** A ParamsCache kept in artifacts/.state/params-cache.json, keyed by code identity. */
import { existsSync, readFileSync } from 'node:fs';
import { canonicalJson, sha256 } from '../util/hash.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import type { ParamsCache } from '../pipeline/stage-modules.ts';
import type { CodeIdentityResolver } from './code-identity.ts';
import { paramsCacheSchema, parseStoreJson } from '../store/schemas.ts';

/** Accepted params per (stage module identity, params digest); entries of older identities are dropped on save. */
export class FileParamsCache implements ParamsCache {
  private readonly entries: Record<string, Record<string, Record<string, unknown>>>;
  private readonly identities = new Map<string, string>();
  private readonly used = new Set<string>();
  private dirty = false;

  constructor(private readonly file: string, private readonly code: CodeIdentityResolver) {
    let loaded: Record<string, Record<string, Record<string, unknown>>> = {};
    try {
      // A malformed cache ({}, [], null, truncated) is dropped: it is rewritten on save.
      const parsed = existsSync(file) ? parseStoreJson(readFileSync(file, 'utf8'), paramsCacheSchema) : undefined;
      if (parsed?.ok) loaded = parsed.value;
      else if (parsed) this.dirty = true;
    } catch {
      loaded = {};
    }
    this.entries = loaded;
  }

  get(module: string, params: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
    const id = this.identity(module);
    if (!id) return undefined;
    this.used.add(id);
    return this.entries[id]?.[sha256(canonicalJson(params))];
  }

  set(module: string, params: Readonly<Record<string, unknown>>, parsed: Record<string, unknown>): void {
    const id = this.identity(module);
    if (!id) return;
    this.used.add(id);
    (this.entries[id] ??= {})[sha256(canonicalJson(params))] = parsed;
    this.dirty = true;
  }

  save(): void {
    for (const id of Object.keys(this.entries)) {
      if (!this.used.has(id)) {
        delete this.entries[id];
        this.dirty = true;
      }
    }
    if (this.dirty) writeFileAtomic(this.file, JSON.stringify(this.entries));
    this.code.save();
  }

  private identity(module: string): string | undefined {
    let id = this.identities.get(module);
    if (id === undefined) {
      try {
        id = sha256(`${module}\n${canonicalJson(this.code.identify(module))}`);
      } catch {
        id = '';
      }
      this.identities.set(module, id);
    }
    return id || undefined;
  }
}
