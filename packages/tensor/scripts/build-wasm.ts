// Writes src/gemm-kernel.wasm.ts from wasm/gemm-kernel.wat (see src/gemm-kernel-build.ts).
import { writeFileSync } from 'node:fs';
import { assembleGemmKernel, GEMM_KERNEL_MODULE, renderGemmKernelModule } from '../src/gemm-kernel-build.js';

const bytes = await assembleGemmKernel();
writeFileSync(GEMM_KERNEL_MODULE, renderGemmKernelModule(bytes));
console.log(`wrote ${GEMM_KERNEL_MODULE.split('/').slice(-3).join('/')} (${bytes.length} bytes of wasm)`);
