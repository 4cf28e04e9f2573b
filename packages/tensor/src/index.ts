/**
 * `@dlkata/tensor`: the numerical core of dlkata.
 *
 * - {@link Tensor}: `Float64Array` data with a row-major shape (NCHW for images)
 * - {@link Rng}: seeded normal/uniform numbers, so every run replays from one integer seed
 * - shape math: {@link convOutputSize} (PyTorch's formula), {@link computeConv2DInfo}, {@link computePool2DInfo}
 * - {@link gemm} (micro-kernel in TypeScript or WebAssembly SIMD: {@link setGemmKernel}, {@link gemmKernel}), {@link im2col}, {@link col2im}
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
export * from './gradcheck.js';
export * from './options.js';
