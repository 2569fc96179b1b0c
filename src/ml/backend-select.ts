/**
 * Decides which tfjs compute backend a run uses, without loading tfjs: the engine puts the
 * answer into cache keys and `hebb status` must stay light. Order of preference:
 * tfjs-node-gpu, tfjs-node (both need their native binding on disk), wasm, cpu.
 * `HEBB_BACKEND` (or an explicit name) forces one; a forced backend that is not installed is an
 * error value, never a silent fallback (results differ slightly between backends).
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The backends we know, by the name users and cache keys see. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
/** A backend name users and cache keys see. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What was chosen. */
export interface BackendInfo {
  /** 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu' (unique; what cache keys and reports show). */
  readonly name: BackendName;
  /** The name tfjs registers the backend under ('tensorflow' for both tfjs-node flavours). */
  readonly tfName: 'tensorflow' | 'wasm' | 'cpu';
  /** The npm package that provides it. */
  readonly packageName: string;
  /** That package's version. */
  readonly version: string;
}

/** Why no backend could be chosen. */
export type BackendError =
  /** The forced name is not one we know. */
  | { readonly reason: 'unknown-backend'; readonly message: string }
  /** The forced backend's package (or its native binding) is not installed. */
  | { readonly reason: 'unavailable'; readonly message: string };

/** A choice or the reason there is none. */
export type BackendSelection = { readonly ok: true; readonly value: BackendInfo } | { readonly ok: false; readonly error: BackendError };

/** How to look at the installation; injectable so tests need not install packages. */
export interface Probe {
  /** The package.json path of an installed package, or null. */
  packageJson(pkg: string): string | null;
  /** Whether a file or directory exists. */
  exists(path: string): boolean;
  /** A package.json's `version`. */
  version(packageJsonPath: string): string;
  /** Entries of a directory ([] when missing). */
  list(dir: string): string[];
}

const PACKAGES: Record<BackendName, { pkg: string; tfName: BackendInfo['tfName']; native: boolean }> = {
  'tensorflow-gpu': { pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow', native: true },
  tensorflow: { pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow', native: true },
  wasm: { pkg: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm', native: false },
  cpu: { pkg: '@tensorflow/tfjs-backend-cpu', tfName: 'cpu', native: false },
};

const ALIASES: Record<string, BackendName> = {
  'tensorflow-gpu': 'tensorflow-gpu',
  'node-gpu': 'tensorflow-gpu',
  'tfjs-node-gpu': 'tensorflow-gpu',
  gpu: 'tensorflow-gpu',
  tensorflow: 'tensorflow',
  node: 'tensorflow',
  'tfjs-node': 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** The real installation, resolved from this file's location. */
export function nodeProbe(): Probe {
  const require = createRequire(import.meta.url);
  return {
    packageJson(pkg) {
      try {
        // Resolve the entry point (package.json may not be exported), then walk up to it.
        let dir = dirname(require.resolve(pkg));
        for (;;) {
          const candidate = join(dir, 'package.json');
          if (existsSync(candidate)) {
            const json = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
            if (json.name === pkg) return candidate;
          }
          const up = dirname(dir);
          if (up === dir) return null;
          dir = up;
        }
      } catch {
        return null;
      }
    },
    exists: existsSync,
    version(path) {
      return String((JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown }).version ?? 'unknown');
    },
    list(dir) {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
  };
}

/** Why `name` is not usable here, or null when it is. */
function unavailability(name: BackendName, probe: Probe): string | null {
  const { pkg, native } = PACKAGES[name];
  const pj = probe.packageJson(pkg);
  if (!pj) return `package ${pkg} is not installed`;
  if (native) {
    // tfjs-node keeps its N-API binding under lib/napi-v<N>/tfjs_binding.node; it is missing when
    // the libtensorflow download failed at install time (e.g. offline).
    const lib = join(dirname(pj), 'lib');
    const found = probe.list(lib).some((d) => d.startsWith('napi-v') && probe.exists(join(lib, d, 'tfjs_binding.node')));
    if (!found) return `package ${pkg} is installed but its native binding (lib/napi-v*/tfjs_binding.node) is missing`;
  }
  return null;
}

function info(name: BackendName, probe: Probe): BackendInfo {
  const { pkg, tfName } = PACKAGES[name];
  return { name, tfName, packageName: pkg, version: probe.version(probe.packageJson(pkg)!) };
}

/**
 * Chooses the backend: `forced` (else `env.HEBB_BACKEND`) when given, else the first usable one
 * of tensorflow-gpu, tensorflow, wasm, cpu. Pure apart from reading the installation via `probe`.
 */
export function selectBackend(
  options: { forced?: string | undefined; env?: Readonly<Record<string, string | undefined>>; probe?: Probe } = {},
): BackendSelection {
  const probe = options.probe ?? nodeProbe();
  const env = options.env ?? process.env;
  const wanted = options.forced ?? (env.HEBB_BACKEND && env.HEBB_BACKEND.trim() !== '' ? env.HEBB_BACKEND : undefined);
  if (wanted !== undefined) {
    const name = ALIASES[wanted.trim().toLowerCase()];
    if (!name) {
      return {
        ok: false,
        error: { reason: 'unknown-backend', message: `unknown backend '${wanted}': expected one of ${BACKEND_NAMES.join(', ')}` },
      };
    }
    const why = unavailability(name, probe);
    if (why) {
      return {
        ok: false,
        error: {
          reason: 'unavailable',
          message: `backend '${name}' was forced (${options.forced !== undefined ? '--backend' : 'HEBB_BACKEND'}) but ${why}; install it or choose another backend (${BACKEND_NAMES.join(', ')})`,
        },
      };
    }
    return { ok: true, value: info(name, probe) };
  }
  for (const name of BACKEND_NAMES) {
    if (unavailability(name, probe) === null) return { ok: true, value: info(name, probe) };
  }
  return {
    ok: false,
    error: { reason: 'unavailable', message: `no tfjs backend is installed (tried ${BACKEND_NAMES.join(', ')}); run npm ci` },
  };
}
