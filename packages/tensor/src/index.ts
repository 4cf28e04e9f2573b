/**
 * `@dlkata/tensor`: the numerical core of dlkata.
 *
 * - {@link Tensor}: `Float64Array` data with a row-major shape (NCHW for images)
 * - {@link Rng}: seeded normal/uniform numbers, so every run replays from one integer seed
 * - shape math: {@link convOutputSize} (PyTorch's formula), {@link computeConv2DInfo}, {@link computePool2DInfo}
 * - {@link gemm} (micro-kernel in TypeScript or WebAssembly SIMD: {@link setGemmKernel}, {@link gemmKernel}), {@link im2col}, {@link col2im}; chunked: {@link im2colChunk}, {@link col2imChunk}, {@link batchChunks}
 * - a product whose B is packed by the caller, never stored whole: {@link gemmPackedB} with {@link im2colPanels} (the convolution's forward pass)
 * - reusable scratch buffers: {@link withWorkspace}, {@link imagesPerChunk}
 * - gradient checking: {@link numericalGradient}, {@link directionalCheck}, {@link relativeError}, {@link compareTensors}
 * - errors that name the op and the values: {@link ShapeError}, {@link ValueError}, {@link NotImplementedError}
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './tensor.js';
export * from './shape.js';
export * from './rng.js';
export * from './ops.js';
export * from './gemm.js';
export * from './im2col.js';
export * from './workspace.js';
export * from './gradcheck.js';
export * from './options.js';
