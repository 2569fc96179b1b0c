/**
 * The transformer step's shared constant. Every kernel of the step (dense products, attention,
 * residual + LayerNorm, ReLU, column sums, the embedding, the mean pool and the head's tanh) runs
 * on the kernels of assembly/kernels.ts or their native build (native/*.cc); each is checked
 * against its plain tfjs formulation (twin.ts) or float64 loops in test/ml-transformer*.
 */

/** LayerNorm's ε (torch.nn.LayerNorm's default). */
export const LN_EPS = 1e-5;
