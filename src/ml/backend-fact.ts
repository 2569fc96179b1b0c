/**
 * The `backend` environment fact for pipeline.yaml (`environment: { backend: src/ml/backend-fact.ts }`):
 * `<name>@<version>` of the backend `selectBackend` picks (honouring HEBB_BACKEND / --backend),
 * e.g. `wasm@4.22.0`, followed by `+kernels=<tag>` when the training kernels are the native build
 * (kernels-select.ts, honouring HEBB_KERNELS), e.g. `wasm@4.22.0+kernels=native-avx2-gcc12.2`;
 * with the wasm kernels the fact keeps its old form. It goes into the cache key of every stage
 * declaring `env: [backend]`, and stages pass it back to `initBackend` (via `backendNameFromFact`)
 * and to the trainers (via `kernelsFromFact`) so the cell runs on exactly the backend and kernels
 * its key names. Never loads tfjs. Throws the selection's message when none is usable.
 */
import { selectBackend } from './backend-select.ts';
import { kernelsSuffix, selectKernels } from './kernels-select.ts';

export { kernelsFromFact } from './kernels-select.ts';

export default function backendFact(): string {
  const sel = selectBackend();
  if (!sel.ok) throw new Error(sel.error.message);
  const k = selectKernels();
  if (!k.ok) throw new Error(k.error.message);
  return `${sel.value.name}@${sel.value.version}${kernelsSuffix(k.value)}`;
}

/** The backend name inside a fact string (`wasm@4.22.0+kernels=…` → `wasm`); undefined when absent. */
export function backendNameFromFact(fact: string | undefined): string | undefined {
  if (fact === undefined || fact === '') return undefined;
  return fact.split('@')[0];
}
