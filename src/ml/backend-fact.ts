/**
 * The `backend` environment fact for pipeline.yaml (`environment: { backend: src/ml/backend-fact.ts }`):
 * `<name>@<version>` of the backend `selectBackend` picks (honouring HEBB_BACKEND / --backend),
 * e.g. `wasm@4.22.0`. It goes into the cache key of every stage declaring `env: [backend]`, and
 * stages pass it back to `initBackend` (via `backendNameFromFact`) so the cell runs on exactly
 * the backend its key names. Never loads tfjs. Throws the selection's message when none is usable.
 */
import { selectBackend } from './backend-select.ts';

export default function backendFact(): string {
  const sel = selectBackend();
  if (!sel.ok) throw new Error(sel.error.message);
  return `${sel.value.name}@${sel.value.version}`;
}

/** The backend name inside a fact string (`wasm@4.22.0` → `wasm`); undefined when absent. */
export function backendNameFromFact(fact: string | undefined): string | undefined {
  if (fact === undefined || fact === '') return undefined;
  return fact.split('@')[0];
}
