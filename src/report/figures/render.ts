/**
 * Vega-Lite spec → SVG with vega's headless View (renderer 'none', no canvas, no browser).
 * Heavy: import this module lazily (inside a stage's `run`).
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { VlSpec } from './figure-specs.ts';

/** Compiles and renders one spec to an SVG string; throws with the spec's title on a compile error. */
export async function renderSvg(spec: VlSpec): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The versions that rendered the figures (for provenance). */
export function rendererVersions(): { vega: string; vegaLite: string } {
  return { vega: vega.version, vegaLite: vl.version };
}
