/**
 * Assembles `wasm/gemm-kernel.wat` into the generated module `src/gemm-kernel.wasm.ts`.
 * Used by `pnpm --filter @dlkata/tensor build:wasm` (scripts/build-wasm.ts) and by the test
 * that checks the committed bytes against a fresh build. Not part of the package's API and not
 * imported by the library, so bundles of `@dlkata/tensor` never contain wabt.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

/** Path of the WAT source. */
export const GEMM_KERNEL_WAT = fileURLToPath(new URL('../wasm/gemm-kernel.wat', import.meta.url));
/** Path of the generated TypeScript module that holds the assembled bytes. */
export const GEMM_KERNEL_MODULE = fileURLToPath(new URL('./gemm-kernel.wasm.ts', import.meta.url));

/** Assembles the WAT source with wabt (SIMD enabled, no debug names): the wasm bytes. */
export async function assembleGemmKernel(wat: string = readFileSync(GEMM_KERNEL_WAT, 'utf8')): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('gemm-kernel.wat', wat, { simd: true });
  try {
    mod.validate();
    return mod.toBinary({ log: false, write_debug_names: false, canonicalize_lebs: true }).buffer.slice();
  } finally {
    mod.destroy();
  }
}

/** The text of `src/gemm-kernel.wasm.ts` for the given bytes: a header and one base64 literal. */
export function renderGemmKernelModule(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 96) lines.push(`  '${b64.slice(i, i + 96)}'`);
  return [
    '// GENERATED FILE, do not edit. Source: packages/tensor/wasm/gemm-kernel.wat.',
    '// Regenerate with `pnpm --filter @dlkata/tensor build:wasm` (assembles the WAT with wabt).',
    '// The bytes are committed so that installing and bundling the package need no build step;',
    '// gemm-kernel.test.ts checks that they equal a fresh build.',
    '',
    `/** The GEMM micro-kernel module (${bytes.length} bytes of WebAssembly with SIMD), base64. */`,
    'export const GEMM_KERNEL_WASM_BASE64 =',
    `${lines.join(' +\n')};`,
    '',
  ].join('\n');
}
