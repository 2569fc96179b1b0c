/**
 * The one `unreachable()`: the compiler proves every case of a union was handled (call it in each
 * `switch` default). New code imports it from here. Its body stays in result.ts, which the
 * training stages import: editing that file would change their code identity, so every training
 * cell's key. The local copies in src/ml and src/report go when those folders are next changed
 * for their own reasons (src/ml only with a deliberate re-key of the training cells).
 */
export { unreachable } from './result.ts';
