/**
 * Stage modules (and environment-fact modules) are TypeScript, loaded at run time through tsx.
 * The CLI itself may run from a prebuilt bundle (bin/hebb.js), which does not need tsx: it is
 * registered here, once, the first time a .ts module must be imported.
 */
let registered: Promise<void> | undefined;

/** Makes `import()` of .ts files work in this process. */
export function ensureTsLoader(): Promise<void> {
  if ((globalThis as { __hebbTsLoader?: boolean }).__hebbTsLoader) return Promise.resolve();
  registered ??= import('tsx/esm/api').then((m) => {
    m.register();
    (globalThis as { __hebbTsLoader?: boolean }).__hebbTsLoader = true;
  });
  return registered;
}

/** The path of bin/hebb.js, for spawning workers and cluster tasks. */
export function hebbBin(fallbackFromModuleUrl: string): string {
  if (process.env.HEBB_BIN) return process.env.HEBB_BIN;
  const url = new URL('../../bin/hebb.js', fallbackFromModuleUrl);
  return decodeURIComponent(url.pathname);
}
