import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValueError } from './errors.js';
import { gemm, gemmKernel, setGemmKernel, type GemmKernelChoice } from './gemm.js';
import { assembleGemmKernel, GEMM_KERNEL_MODULE, renderGemmKernelModule } from './gemm-kernel-build.js';
import { GEMM_KERNEL_WASM_BASE64 } from './gemm-kernel.wasm.js';
import * as api from './index.js';
import { FLAGS, gemmCaseLabel, spreadArray, spreadOperands, type GemmCase } from './gemm-cases.test-support.js';
import { Rng } from './rng.js';



/** Runs gemm with the wasm kernel and with the TypeScript kernel on the same data. */
function wasmVsTs(t: GemmCase): { relError: number; identical: boolean; untouched: boolean } {
  const { M, N, K, transA, transB, accumulate, aOff, bOff, cOff } = t;
  const rng = new Rng(t.seed);
  const tail = 3;
  const a = spreadArray(rng, aOff + M * K + tail);
  const b = spreadArray(rng, bOff + K * N + tail);
  const cWasm = spreadArray(rng, cOff + M * N + tail);
  const cTs = cWasm.slice();
  const before = cWasm.slice();
  const opts = { transA, transB, accumulate };
  setGemmKernel('wasm');
  gemm(M, N, K, a, aOff, b, bOff, cWasm, cOff, opts);
  setGemmKernel('ts');
  gemm(M, N, K, a, aOff, b, bOff, cTs, cOff, opts);
  setGemmKernel('auto');
  let diff = 0;
  let scale = 0;
  let identical = true;
  for (let i = 0; i < cTs.length; i++) {
    diff = Math.max(diff, Math.abs(cWasm[i] - cTs[i]));
    scale = Math.max(scale, Math.abs(cTs[i]));
    if (!Object.is(cWasm[i], cTs[i])) identical = false;
  }
  let untouched = true;
  for (let i = 0; i < cOff; i++) if (!Object.is(cWasm[i], before[i])) untouched = false;
  for (let i = cOff + M * N; i < cWasm.length; i++) if (!Object.is(cWasm[i], before[i])) untouched = false;
  return { relError: scale === 0 ? diff : diff / scale, identical, untouched };
}


/** The WebAssembly JS API as far as these tests use it (the project compiles without the DOM lib). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: { new (bytes: Uint8Array): object; exports(module: object): Array<{ kind: string; name: string }> };
  Instance: unknown;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

function checkAllFlags(shape: Omit<GemmCase, 'transA' | 'transB' | 'accumulate'>): void {
  let seed = shape.seed;
  for (const transA of FLAGS) {
    for (const transB of FLAGS) {
      for (const accumulate of FLAGS) {
        const t = { ...shape, transA, transB, accumulate, seed: seed++ };
        const r = wasmVsTs(t);
        expect(r.relError, gemmCaseLabel(t)).toBeLessThanOrEqual(1e-12);
        // Same multiplies and adds in the same order: the kernels agree bit for bit.
        expect(r.identical, `${gemmCaseLabel(t)}: bit-identical`).toBe(true);
        expect(r.untouched, `${gemmCaseLabel(t)}: C's array outside the product untouched`).toBe(true);
      }
    }
  }
}

afterEach(() => {
  setGemmKernel('auto');
});

describe('wasm GEMM kernel equals the TypeScript kernel (relative error <= 1e-12, in fact bit for bit)', () => {
  it('this runtime (Node) runs the wasm kernel', () => {
    setGemmKernel('wasm');
    expect(gemmKernel()).toBe('wasm');
  });

  // Sizes near the tile (4) and block sizes (MC = 128, KC = 256, NC = 512), plus 1s and 0s.
  const size = (blocks: number[]): fc.Arbitrary<number> =>
    fc.oneof(fc.integer({ min: 0, max: 9 }), ...blocks.map((s) => fc.integer({ min: s - 3, max: s + 3 })));

  it('property: M near 0/4/128, N near 0/4/512, K near 0/4/256, every transA/transB/accumulate, offsets 0..5 (seed 20261206)', () => {
    fc.assert(
      fc.property(
        fc.record({
          M: size([4, 128]),
          N: size([4, 12, 512]),
          K: size([4, 256]),
          aOff: fc.integer({ min: 0, max: 5 }),
          bOff: fc.integer({ min: 0, max: 5 }),
          cOff: fc.integer({ min: 0, max: 5 }),
          seed: fc.integer(),
        }),
        (shape) => checkAllFlags(shape),
      ),
      { seed: 20261206, numRuns: 40 },
    );
  });

  // Every edge of the blocking: ragged tiles (sizes not multiples of 4), one full block and one
  // more row/column/depth (129, 513, 257), several K blocks (so C carries partial sums), 1s and 0s.
  const edges: Array<[number, number, number]> = [
    [0, 5, 5],
    [5, 0, 5],
    [5, 5, 0],
    [1, 1, 1],
    [1, 37, 40],
    [37, 1, 40],
    [8, 8, 9],
    [9, 9, 9],
    [4, 4, 256],
    [5, 7, 257],
    [127, 13, 30],
    [128, 16, 16],
    [129, 6, 9],
    [131, 1030, 3],
    [6, 511, 20],
    [7, 513, 21],
    [3, 1025, 30],
    [33, 40, 520],
    [130, 515, 260],
    [32, 784, 144],
    [144, 784, 32],
    [256, 256, 256],
  ];
  for (const [M, N, K] of edges) {
    it(`M=${M} N=${N} K=${K}: every flag combination, offsets 3,1,2`, () => {
      checkAllFlags({ M, N, K, aOff: 3, bOff: 1, cOff: 2, seed: M * 1_000_003 + N * 1009 + K });
    });
  }

  it('NaN and Infinity in B propagate through a zero in A (M=N=K=16, wasm)', () => {
    setGemmKernel('wasm');
    const M = 16;
    const a = new Float64Array(M * M);
    const b = new Float64Array(M * M).fill(1);
    b[5 * M + 9] = NaN;
    b[7 * M + 3] = Infinity;
    const c = new Float64Array(M * M);
    gemm(M, M, M, a, 0, b, 0, c, 0);
    for (let i = 0; i < M; i++) {
      expect(c[i * M + 9]).toBeNaN();
      expect(c[i * M + 3]).toBeNaN();
      expect(c[i * M + 0]).toBe(0);
    }
  });
});

describe('setGemmKernel / gemmKernel', () => {
  it("'ts' and 'wasm' are reported back by gemmKernel", () => {
    setGemmKernel('ts');
    expect(gemmKernel()).toBe('ts');
    setGemmKernel('wasm');
    expect(gemmKernel()).toBe('wasm');
  });

  it("'auto' without DLKATA_GEMM picks wasm in Node; DLKATA_GEMM=ts forces ts, =wasm wasm", () => {
    vi.stubEnv('DLKATA_GEMM', '');
    try {
      setGemmKernel('auto');
      expect(gemmKernel()).toBe('wasm');
      vi.stubEnv('DLKATA_GEMM', 'ts');
      setGemmKernel('auto');
      expect(gemmKernel()).toBe('ts');
      vi.stubEnv('DLKATA_GEMM', 'wasm');
      setGemmKernel('auto');
      expect(gemmKernel()).toBe('wasm');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('DLKATA_GEMM=fast: ValueError naming the variable and the value', () => {
    vi.stubEnv('DLKATA_GEMM', 'fast');
    try {
      setGemmKernel('auto');
      expect(() => gemmKernel()).toThrow(ValueError);
      expect(() => gemmKernel()).toThrow('gemm: environment variable DLKATA_GEMM must be one of auto, ts, wasm, got "fast"');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  const bad: unknown[] = ['simd', '', 'WASM', 'typescript', undefined, null, 1, true];
  for (const v of bad) {
    it(`setGemmKernel(${JSON.stringify(v) ?? String(v)}) -> ValueError naming the op and the value`, () => {
      setGemmKernel('ts');
      let err: unknown;
      try {
        setGemmKernel(v as GemmKernelChoice);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValueError);
      const shown = typeof v === 'string' ? JSON.stringify(v) : String(v);
      expect((err as ValueError).message).toBe(`setGemmKernel: kernel must be one of auto, ts, wasm, got ${shown}`);
      expect((err as ValueError).op).toBe('setGemmKernel');
      // a rejected value leaves the previous choice in place
      expect(gemmKernel()).toBe('ts');
    });
  }

  it('index exports setGemmKernel and gemmKernel', () => {
    expect(api).toHaveProperty('setGemmKernel');
    expect(api).toHaveProperty('gemmKernel');
  });
});

describe('fallback to the TypeScript kernel', () => {
  async function freshGemmModule(wasmGlobal: unknown): Promise<typeof import('./gemm.js')> {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', wasmGlobal);
    try {
      const mod = await import('./gemm.js');
      mod.gemmKernel(); // resolves (and tries to load the module) while the stub is in place
      return mod;
    } finally {
      vi.unstubAllGlobals();
    }
  }

  const cases: Array<[string, unknown]> = [
    ['no WebAssembly at all', undefined],
    ['WebAssembly without SIMD (validate() is false)', { Module: wasmApi.Module, Instance: wasmApi.Instance, validate: () => false }],
  ];
  for (const [what, stub] of cases) {
    it(`${what}: 'auto' runs ts, 'wasm' throws, results equal the textbook loop`, async () => {
      vi.stubEnv('DLKATA_GEMM', '');
      try {
        const mod = await freshGemmModule(stub);
        expect(mod.gemmKernel()).toBe('ts');
        expect(() => mod.setGemmKernel('wasm')).toThrow("setGemmKernel: kernel 'wasm' needs WebAssembly with SIMD (f64x2)");
        const M = 9;
        const N = 10;
        const K = 11;
        const { a, b } = spreadOperands(new Rng(5), M, N, K);
        const c = new Float64Array(M * N);
        mod.gemm(M, N, K, a, 0, b, 0, c, 0);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
            expect(c[i * N + j]).toBe(s);
          }
        }
      } finally {
        vi.unstubAllEnvs();
      }
    });
  }
});

describe('generated module src/gemm-kernel.wasm.ts', () => {
  it('equals a fresh wabt build of wasm/gemm-kernel.wat, byte for byte (run `pnpm --filter @dlkata/tensor build:wasm` after editing the WAT)', async () => {
    const fresh = await assembleGemmKernel();
    const committed = new Uint8Array(Buffer.from(GEMM_KERNEL_WASM_BASE64, 'base64'));
    expect(committed.length, 'wasm size in bytes').toBe(fresh.length);
    expect(Buffer.from(committed).equals(Buffer.from(fresh)), 'wasm bytes').toBe(true);
    expect(readFileSync(GEMM_KERNEL_MODULE, 'utf8'), 'the whole generated file').toBe(renderGemmKernelModule(fresh));
  });

  it('is a valid WebAssembly module with SIMD, exporting macro and memory', () => {
    const bytes = new Uint8Array(Buffer.from(GEMM_KERNEL_WASM_BASE64, 'base64'));
    expect(wasmApi.validate(bytes)).toBe(true);
    const names = wasmApi.Module.exports(new wasmApi.Module(bytes)).map((e) => `${e.kind} ${e.name}`);
    expect(names.sort()).toEqual(['function macro', 'memory memory']);
  });
});
