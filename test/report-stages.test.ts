/**
 * The report stages end to end on synthetic metrics.json files: table1 → noise-grid →
 * learning-sweep → check → figures → report, each run through its stage module with a hand-made
 * context (as the engine would), then the outputs inspected: SVGs parse as XML and hold the
 * expected marks, JUnit parses, the report says what it must.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellInput, StageContext, StageModule } from '../src/stage-api.ts';
import type { CellRecord } from '../src/report/aggregate/cells.ts';
import { logspace, syntheticCell, syntheticNoiseGrid } from './synthetic.ts';

const PAPER = {
  gammas: [0, 5e-5, 5e-4, 5e-3],
  rows: [
    { model: 'mlp', rule: 'adam', mean: [-0.02, 0.1, 0.66, null], sd: [0, 0, 0.01, null] },
    { model: 'mlp', rule: 'sgd', mean: [-0.1, -0.06, 0.17, 0.59], sd: [0.01, 0.01, 0.01, 0.01] },
  ],
};
const sigmas = [0, ...logspace(3.2e-4, 1e-2, 8)];
const gammas = logspace(1e-5, 1e-2, 10);

async function writeCells(root: string, stage: string, cells: CellRecord[]): Promise<CellInput[]> {
  return Promise.all(
    cells.map(async (c, i) => {
      const dir = join(root, stage, String(i));
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'metrics.json'), JSON.stringify(c.metrics));
      return { cell: `${stage}@${i}`, stage, matrix: {}, params: c.params, path: dir };
    }),
  );
}

async function runStage<P>(file: string, raw: unknown, inputs: Record<string, CellInput[]>, outDir: string): Promise<CellInput> {
  const mod = (await import(`../stages/${file}.ts`)).default as StageModule<P>;
  const params = mod.params.parse(raw);
  await mkdir(outDir, { recursive: true });
  const logs: string[] = [];
  const ctx: StageContext<P> = { params, inputs, outDir, cell: file, profile: 'smoke', env: {}, log: (m) => logs.push(m), progress: () => {} };
  await mod.run(ctx);
  return { cell: file, stage: file, matrix: {}, params: params as Record<string, unknown>, path: outDir };
}

/** The outputs directory of the pipeline run below. */
let OUT = '';

async function pipeline(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'hebb-report-'));
  const t1: CellRecord[] = [];
  const sgd = [-0.08, -0.03, 0.2, 0.62];
  PAPER.gammas.forEach((gamma, i) => {
    for (let seed = 0; seed < 2; seed++) {
      t1.push(syntheticCell({ rule: 'sgd', gamma, seed, alignment: sgd[i]! + 0.01 * seed }));
      t1.push(syntheticCell({ rule: 'adam', gamma, seed, alignment: [0, 0.12, 0.5, 0][i]!, status: i === 3 ? 'collapsed' : 'ok' }));
    }
  });
  const sweep: CellRecord[] = [];
  for (const gamma of [0, 5e-3]) for (const steps of [50, 200, 800]) sweep.push(syntheticCell({ rule: 'sgd', gamma, steps, lr: 0.5, alignment: gamma ? 0.6 * (1 - Math.exp(-steps / 300)) : -0.05 }));
  for (const gamma of [0, 5e-3]) for (const steps of [50, 800]) sweep.push(syntheticCell({ rule: 'dfa', gamma, steps, lr: 0.1, alignment: steps === 50 ? 0.4 : 0.1 }));
  const cellsT1 = await writeCells(root, 'train-sre', t1);
  const cellsNoise = await writeCells(root, 'train-sre-noise', syntheticNoiseGrid({ sigmas, gammas, seeds: 2, gamma0: 2e-5, c: 40, b: 2, noise: 0.03 }));
  const cellsSweep = await writeCells(root, 'train-sre-sweep', sweep);
  const all = { cells: cellsT1, noise_cells: cellsNoise, sweep_cells: cellsSweep };
  const table = await runStage('table1', { paper: PAPER, expect: { models: ['mlp'], rules: ['adam', 'sgd'], gammas: PAPER.gammas, seeds: 2 }, default_variant: 'smoke', select: { stage: 'train-sre' } }, all, join(root, 'out/table1'));
  const noise = await runStage('noise-grid', { grids: [{ name: 'sgd-trained', select: { stage: 'train-sre-noise' }, sigmas, gammas, seeds: 2 }, { name: 'adam', select: { stage: 'train-sre-adam-noise' } }] }, all, join(root, 'out/noise'));
  const learning = await runStage('learning-sweep', { select: { stage: 'train-sre-sweep' } }, all, join(root, 'out/learning'));
  const checks = await runStage(
    'check',
    {
      checks: [
        { name: 'table1-monotone-in-gamma', kind: 'gamma-monotone', tolerance: { sd_multiple: 1, abs: 0.02, min_positive: 0.05 } },
        { name: 'adam-collapses-at-5e-3', kind: 'collapses', params: { rule: 'adam', gamma: 5e-3 } },
        { name: 'noise-trends', kind: 'noise-monotone', params: { grid: 'sgd-trained' } },
        { name: 'boundary-exponent', kind: 'boundary-exponent', params: { grid: 'sgd-trained' } },
        { name: 'adam-noise-trends', kind: 'noise-monotone', params: { grid: 'adam' } },
        { name: 'best-loss-near-boundary', kind: 'loss-near-boundary', params: { grid: 'sgd-trained' } },
      ],
    },
    { table: [table], noise: [noise] },
    join(root, 'out/check'),
  );
  const figures = await runStage('figures', { curves: [{ select: { stage: 'train-sre', rule: 'sgd' } }] }, { table: [table], noise: [noise], learning: [learning], cells: cellsT1 }, join(root, 'out/figures'));
  await runStage('report', {}, { table: [table], noise: [noise], learning: [learning], checks: [checks], figures: [figures] }, join(root, 'out/report'));
  return join(root, 'out');
}

beforeAll(async () => {
  OUT = await pipeline();
}, 120_000);

// HEBB_KEEP_REPORT_TEST=1 keeps the outputs (report.png included) for a look.
afterAll(async () => {
  if (OUT && !process.env.HEBB_KEEP_REPORT_TEST) await rm(join(OUT, '..'), { recursive: true, force: true });
});

describe('report stages on synthetic cells', () => {
  it('writes table1.json/csv/md with the paper beside ours', async () => {
    const md = await readFile(join(OUT, 'table1/table1.md'), 'utf8');
    expect(md).toMatch(/\| mlp \| adam \| 5e-3 \| – \| – \(2\/2 collapsed\) \|/);
    expect((await readFile(join(OUT, 'table1/table1.csv'), 'utf8')).trim().split('\n')).toHaveLength(9);
  });

  it('checks: the adam grid is absent, so its check is SKIPPED; the rest pass', async () => {
    const c = JSON.parse(await readFile(join(OUT, 'check/checks.json'), 'utf8'));
    const st = Object.fromEntries(c.results.map((r: { name: string; status: string }) => [r.name, r.status]));
    expect(st).toMatchObject({ 'table1-monotone-in-gamma': 'PASS', 'adam-collapses-at-5e-3': 'PASS', 'noise-trends': 'PASS', 'boundary-exponent': 'PASS', 'adam-noise-trends': 'SKIPPED' });
    const xml = await readFile(join(OUT, 'check/checks.junit.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
  });

  it('renders every figure as well-formed SVG with its .vl.json beside it', async () => {
    const files = await readdir(join(OUT, 'figures/figures'));
    const svgs = files.filter((f) => f.endsWith('.svg'));
    expect(svgs.sort()).toEqual([
      'learning-amount-dfa.svg', 'learning-amount.svg', 'noise-sgd-trained-alignment.svg', 'noise-sgd-trained-loss-vs-alignment.svg', 'noise-sgd-trained-valloss.svg',
      'noise-sgd-trained-vs-gamma.svg', 'noise-sgd-trained-vs-sigma.svg', 'table1-bars.svg', 'training-curves.svg',
    ]);
    for (const s of svgs) {
      const text = await readFile(join(OUT, 'figures/figures', s), 'utf8');
      expect(XMLValidator.validate(text), s).toBe(true);
      expect(files).toContain(s.replace(/\.svg$/, '.vl.json'));
    }
  });

  it('the alignment heatmap holds one rect per (σ, γ), the crossing points and the fitted curve', async () => {
    const svg = await readFile(join(OUT, 'figures/figures/noise-sgd-trained-alignment.svg'), 'utf8');
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg);
    const marks: { desc: string; n: number }[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      if (typeof o['aria-roledescription'] === 'string' && String(o.class ?? '').includes('role-mark')) {
        const kids = o.path ?? o.text ?? o.line ?? [];
        marks.push({ desc: o['aria-roledescription'] as string, n: Array.isArray(kids) ? kids.length : 1 });
      }
      Object.values(o).forEach(walk);
    };
    walk(doc);
    const rect = marks.find((m) => m.desc === 'rect mark container');
    expect(rect?.n).toBe(sigmas.length * gammas.length);
    expect(marks.some((m) => m.desc === 'line mark container')).toBe(true);
    expect(marks.find((m) => m.desc === 'symbol mark container')?.n).toBeGreaterThanOrEqual(6);
    expect(svg).toContain('weight decay γ');
    expect(svg).toMatch(/b = 2\.\d\d|b = 1\.9\d/);
  });

  it('the report puts the verdict first and names mismatches plainly', async () => {
    const md = await readFile(join(OUT, 'report/report.md'), 'utf8');
    const verdictAt = md.indexOf('## Verdict');
    expect(verdictAt).toBeGreaterThan(0);
    expect(verdictAt).toBeLessThan(md.indexOf('## Table 1'));
    expect(md).toMatch(/INCOMPLETE/); // adam-noise-trends skipped
    expect(md).toMatch(/\*\*mismatch\*\*: ours collapsed|\*\*mismatch\*\*: differs by/);
    expect(md).toMatch(/adam γ = 5e-4: paper 0\.66 ± 0\.01, ours 0\.50 ± 0\.00 — differs by -0\.16/);
    expect(md).toContain('](figures/noise-sgd-trained-alignment.svg)');
    // The η × T sweep's section speaks of every rule it has, each with its own figure (DFA's since issue 16).
    expect(md).toContain('DFA alignment at convergence at γ = 0, 0.40 at η × T = 5 and 0.10 at η × T = 80');
    expect(md).toContain('](figures/learning-amount-dfa.svg)');
    // The two figures that carry the paper's claims come right under the verdict, before the long tables.
    const keyAt = md.indexOf('## Key figures');
    expect(keyAt).toBeGreaterThan(verdictAt);
    expect(keyAt).toBeLessThan(md.indexOf('## Table 1'));
    const key = md.slice(keyAt, md.indexOf('## Table 1'));
    expect(key).toContain('](figures/table1-bars.svg)');
    expect(key).toContain('](figures/noise-sgd-trained-alignment.svg)');
    expect(md.match(/!\[[^\]]*\]\(figures\/noise-sgd-trained-alignment\.svg\)/g)).toHaveLength(1); // shown once
    // A table of contents with working anchors; each figure links to its Vega-Lite spec and data.
    expect(md.indexOf('**Contents**')).toBeLessThan(verdictAt);
    expect(md).toContain('- [Verdict](#verdict)');
    expect(md).toContain('[Vega-Lite spec and data](figures/table1-bars.vl.json)');
    // The per-variant table is folded; its mismatches stay in view above it.
    const fold = md.indexOf('<summary>Variant smoke: the full table');
    expect(fold).toBeGreaterThan(md.indexOf('adam γ = 5e-4: paper 0.66'));
    expect(md).toMatch(/at γ = 5e-3, 0\.09 at η × T = 25 and 0\.56 at η × T = 400/);
    expect(md).not.toMatch(/Our SGD row differs/); // our synthetic SGD row is within 0.1 of the paper
    const html = await readFile(join(OUT, 'report/report.html'), 'utf8');
    expect(html.match(/<img [^>]*src="data:image\/svg\+xml;base64,/g)?.length).toBe(9);
    expect(html).toContain('<h2 id="verdict">');
    expect(html).toContain('<a href="#verdict">Verdict</a>');
    expect(html.match(/<a href="figures\/[\w-]+\.vl\.json">Vega-Lite spec and data<\/a>/g)?.length).toBe(9);
    expect(html).toMatch(/<details><summary>Variant <code>smoke<\/code>: the full table/);
  });
});

/**
 * The browser the Chromium test drives: `$CHROME_PATH` (or `$CHROMIUM_BIN`), else the first of
 * `chromium`, `chromium-browser`, `google-chrome` on PATH. Without one the test is skipped with a
 * reason, unless `CI` is set or `HEBB_REQUIRE_BROWSER=1`: then it is required and fails.
 */
function findBrowser(): string | undefined {
  for (const v of [process.env.CHROME_PATH, process.env.CHROMIUM_BIN]) if (v && existsSync(v)) return v;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      const p = join(dir, name);
      if (dir && existsSync(p)) return p;
    }
  }
  return undefined;
}
const BROWSER = findBrowser();
const REQUIRE_BROWSER = (!!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0') || process.env.HEBB_REQUIRE_BROWSER === '1';
const NO_BROWSER_REASON =
  'no headless browser found (looked for $CHROME_PATH, chromium, chromium-browser, google-chrome): ' +
  'install one (Debian/Ubuntu: `apt-get install chromium`; macOS: `brew install --cask chromium`) or set CHROME_PATH; ' +
  'CI=1 or HEBB_REQUIRE_BROWSER=1 makes this test required';
if (!BROWSER && !REQUIRE_BROWSER) console.warn(`report.html in headless Chromium: SKIPPED — ${NO_BROWSER_REASON}`);

/**
 * Opens report.html in headless Chromium (the browser found above).
 * A copy of the page gets a probe script that logs how many <img> decoded; any other console
 * message (an error, a failed resource) fails the test. The screenshot must hold the figures
 * (a page of text alone is far smaller).
 */
describe('report.html in headless Chromium', () => {
  it.skipIf(!BROWSER && !REQUIRE_BROWSER)(`opens without console errors, every figure decodes, and the screenshot shows them${BROWSER || REQUIRE_BROWSER ? '' : ` (skipped: ${NO_BROWSER_REASON})`}`, async () => {
    if (!BROWSER) throw new Error(`required (CI or HEBB_REQUIRE_BROWSER=1), but ${NO_BROWSER_REASON}`);
    const html = await readFile(join(OUT, 'report/report.html'), 'utf8');
    const probe = `<script>addEventListener('load',()=>{const i=[...document.images];console.log('HEBB-IMAGES '+i.filter(x=>x.complete&&x.naturalWidth>0).length+'/'+i.length)})</script>`;
    const page = join(OUT, 'probe.html');
    await writeFile(page, html.replace('</body>', `${probe}</body>`));
    const shot = join(OUT, 'report.png');
    const args = [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', `--user-data-dir=${join(OUT, 'chromium-profile')}`, '--enable-logging=stderr', '--v=0',
      '--virtual-time-budget=5000', '--window-size=1200,4000', `--screenshot=${shot}`, `file://${page}`,
    ];
    const stderr = await new Promise<string>((resolve, reject) => {
      execFile(BROWSER, args, { timeout: 90_000 }, (err, _out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(errOut)));
    });
    const consoleLines = stderr.split('\n').filter((l) => l.includes(':CONSOLE'));
    const images = consoleLines.find((l) => l.includes('HEBB-IMAGES'));
    expect(images, stderr).toMatch(/HEBB-IMAGES 9\/9/);
    expect(consoleLines.filter((l) => !l.includes('HEBB-IMAGES'))).toEqual([]);
    const img = decodePng(await readFile(shot));
    expect(img.width).toBe(1200);
    // The figures are the only strongly blue things on the page (heatmap, bars, colour legends):
    // a text-only page has none.
    let blue = 0;
    for (let i = 0; i < img.width * img.height; i++) {
      const [r, g, b] = [img.px[i * img.channels]!, img.px[i * img.channels + 1]!, img.px[i * img.channels + 2]!];
      if (b > r + 60 && b > g + 20) blue++;
    }
    expect(blue).toBeGreaterThan(20_000);
  }, 120_000);
});

/** A minimal PNG decoder (8-bit RGB/RGBA, non-interlaced: what Chromium writes). */
function decodePng(buf: Buffer): { width: number; height: number; channels: number; px: Uint8Array } {
  let off = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit non-interlaced PNG');
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      if (!channels) throw new Error(`PNG colour type ${data[9]}`);
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? px[y * stride + x - channels]! : 0;
      const b = y > 0 ? px[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const pr = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      px[y * stride + x] = (v + [0, a, b, (a + b) >> 1, pr][f]!) & 0xff;
    }
  }
  return { width, height, channels, px };
}
