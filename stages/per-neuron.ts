/**
 * Stage: per-neuron dynamics (the paper's Section 5). Every dep is a source of training cells
 * that recorded `per_neuron` (sre-per-neuron, sce-fig2, and the phase studies sre-neuron-phases,
 * sce-phases); writes per-neuron.json (the shares of Hebbian and anti-Hebbian neurons per γ, the
 * trend of the anti-Hebbian share, one heatmap's data per model, the phase study) and, through the figure protocol, figures/ with its own report section.
 * `model_labels` renames the model of a dep's cells (the paper profile's Fashion-MNIST stand-in
 * trains the same 'sce' model as CIFAR-10: its cells are told apart as 'sce-standin').
 */
import { z } from 'zod';
import { defineStage } from '../src/stage-api.ts';

export default defineStage({
  params: z.object({ model_labels: z.record(z.string(), z.string().min(1)).default({}) }).strict(),
  async run(ctx) {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { loadCells } = await import('../src/report/aggregate/load-cells.ts');
    const { labelModels, perNeuronSummary, PER_NEURON_SECTION } = await import('../src/report/aggregate/per-neuron.ts');
    const { perNeuronFigures } = await import('../src/report/figures/per-neuron-figures.ts');
    const { writeFigures } = await import('../src/report/figures/write-figures.ts');
    const byDep = Object.fromEntries(await Promise.all(Object.entries(ctx.inputs).map(async ([dep, inputs]) => [dep, await loadCells(inputs)] as const)));
    const cells = labelModels(byDep, ctx.params.model_labels);
    const summary = perNeuronSummary(cells);
    await writeFile(join(ctx.outDir, 'per-neuron.json'), JSON.stringify(summary));
    const text = summary.trend.map((t) => `${t.model}: the anti-Hebbian share ${t.grows === null ? 'was not evaluated (fewer than 3 γ)' : t.grows ? `grows with γ (Spearman ρ = ${t.rho!.toFixed(2)})` : `does not grow with γ (Spearman ρ = ${t.rho!.toFixed(2)})`}`).join('; ');
    const phaseText = summary.phases.trends.map((t) => `${t.model} ${t.name}: ${t.meanChange === null ? 'not measured' : `mean change ${t.meanChange.toFixed(1)} steps, mean ρ ${t.meanRho === null ? 'n/a' : t.meanRho.toFixed(2)}`}`).join('; ');
    const section = {
      id: PER_NEURON_SECTION,
      title: 'Per-neuron dynamics (Section 5)',
      text: `Each neuron's full update (signal minus decay) against its Hebbian update. The paper: the share of anti-Hebbian neurons grows with weight decay. Here, reported and not gated: ${text || 'no cell recorded per-neuron data'}. The phase study (η × init scale at one γ; the paper: phases lengthen and the initial bump comes later as η and the init scale decrease): ${phaseText || 'did not run'}.`,
    };
    await writeFigures(join(ctx.outDir, 'figures'), perNeuronFigures(summary, PER_NEURON_SECTION), { sections: [section] }, ctx.progress);
    ctx.log(`per-neuron: ${cells.length} cells; ${text}${phaseText ? `; phases: ${phaseText}` : ''}`);
  },
});
