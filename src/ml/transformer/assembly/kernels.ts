// AssemblyScript (compiled to WebAssembly with SIMD by ../simd.ts, at first use; not part of the
// TypeScript program). The transformer step's heavy kernels over raw f32 buffers in this module's
// linear memory: dense products (dense.ts), element-wise kernels, column sums and residual +
// LayerNorm (elementwise.ts), the attention core (attention.ts), the MLP step's a·bᵀ, tanh and
// MSE (mlp.ts), and the SCE step's softmax CE, batch norm, sigmoid and GELU (sce.ts). This entry file is what ../simd.ts compiles; every exported function is a kernel.
// Every pointer is a byte offset into memory, every matrix row-major. test/ml-transformer.test.ts,
// test/ml-transformer-simd.test.ts, test/ml-mlp-kernels.test.ts and test/ml-sce-kernels.test.ts
// check each kernel against tfjs autograd or float64 loops.

export * from './dense';
export * from './elementwise';
export * from './attention';
export * from './mlp';
export * from './sce';
export * from './embed';
export { dataEnd } from './packed';
