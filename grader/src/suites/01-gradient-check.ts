/**
 * Grading suite of exercise 01, gradient checking (`gradient-check.ts`):
 * `numericalGradient(f, x, dout, h)` and `relativeError(a, b)`, checked against
 * `@dlkata/tensor`'s own implementations.
 *
 * `f` cannot be sent to the sandbox, so the suite sends a function spec ({@link FnSpec}) that
 * the sandbox turns into a function; the grader evaluates the same spec for the reference.
 *
 * @module
 */
import fc from 'fast-check';
import { numericalGradient as refNumericalGradient, relativeError as refRelativeError, Rng, Tensor } from '@dlkata/tensor';
import { describeSpec, specToFunction, type FnSpec } from '../fnspec.js';
import { encodeTensor } from '../protocol.js';
import { jointRecord, checkProperty, expectClose, expectNumber, expectTensor, shapeOf } from './harness.js';
import { TestFailure, type Suite, type TestContext } from './types.js';

const range = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi });

/** A numerical-gradient case: the point's shape, the function, the step, and the value seed. */
interface GradCase {
  readonly shape: readonly number[];
  readonly kind: FnSpec['kind'];
  /** Number of outputs of `tanh-affine` (ignored for `poly`). */
  readonly M: number;
  readonly h: number;
  readonly seed: number;
  readonly label?: string;
  readonly fixed?: { readonly x: Tensor; readonly spec: FnSpec; readonly dout: Tensor };
}

const shapes = fc.array(range(1, 4), { minLength: 1, maxLength: 3 });

/** The edge of the shapes: several axes, each longer than 1. */
const wideShapes = fc.array(range(2, 4), { minLength: 2, maxLength: 3 });

function gradCases(kind: FnSpec['kind'], steps: readonly number[]): fc.Arbitrary<GradCase> {
  return jointRecord({ shape: shapes, kind: fc.constant(kind), M: [1, 4], h: fc.constantFrom(...steps), seed: fc.nat() }, { edge: { shape: wideShapes } });
}

function gradTensors(c: GradCase): { x: Tensor; spec: FnSpec; dout: Tensor } {
  if (c.fixed) return c.fixed;
  const rng = new Rng(c.seed);
  const x = rng.randn(c.shape);
  if (c.kind === 'poly') {
    const spec: FnSpec = { kind: 'poly', coeffs: Array.from({ length: 4 }, () => Number(rng.uniform(-2, 2).toFixed(2))) };
    return { x, spec, dout: rng.randn(c.shape) };
  }
  const A = rng.randn([c.M, x.size], 0.7);
  const b = rng.randn([c.M], 0.5);
  const spec: FnSpec = { kind: 'tanh-affine', A: encodeTensor(A), b: encodeTensor(b) };
  return { x, spec, dout: rng.randn([c.M]) };
}

function describeGrad(c: GradCase): string {
  const t = gradTensors(c);
  const what = `${shapeOf('x', t.x.shape)}, ${describeSpec(t.spec)}, ${shapeOf('dout', t.dout.shape)}, h = ${c.h}`;
  return c.label ? `${c.label}: ${what}` : `${what} (values: standard normal from seed ${c.seed})`;
}

async function checkGradient(ctx: TestContext, c: GradCase, hint: string): Promise<void> {
  const { x, spec, dout } = gradTensors(c);
  const expected = refNumericalGradient(specToFunction(spec), x.clone(), dout, c.h);
  const got = expectTensor(await ctx.call('numericalGradient', [{ $fn: spec }, x, dout, c.h]), 'numericalGradient: dx', x.shape);
  expectClose('numericalGradient: dx', got, expected, hint);
}

/** A relative-error case: two tensors of one shape, optionally with shared zeros. */
interface RelCase {
  readonly shape: readonly number[];
  /** Fraction of positions where both tensors are exactly 0. */
  readonly zeros: number;
  readonly seed: number;
  readonly label?: string;
  readonly fixed?: { readonly a: Tensor; readonly b: Tensor };
}

function relTensors(c: RelCase): { a: Tensor; b: Tensor } {
  if (c.fixed) return c.fixed;
  const rng = new Rng(c.seed);
  const a = rng.randn(c.shape);
  // b is a plus noise of random size, so errors range from tiny to large
  const scale = 10 ** rng.uniform(-8, 0);
  const b = a.map((v) => v + scale * rng.normal());
  for (let i = 0; i < a.size; i++) {
    if (rng.next() < c.zeros) {
      a.data[i] = 0;
      b.data[i] = 0;
    }
  }
  return { a, b };
}

function describeRel(c: RelCase): string {
  const what = `a, b of shape [${c.shape.join(',')}]${c.zeros > 0 ? `, about ${Math.round(c.zeros * 100)}% of positions 0 in both` : ''}`;
  return c.label ? `${c.label}: ${what}` : `${what} (values: seed ${c.seed})`;
}

async function checkRelativeError(ctx: TestContext, c: RelCase): Promise<void> {
  const { a, b } = relTensors(c);
  const expected = refRelativeError(a, b).error;
  const got = expectNumber(await ctx.call('relativeError', [a, b]), 'relativeError');
  if (Math.abs(got - expected) > 1e-12 + 1e-9 * Math.abs(expected)) {
    throw new TestFailure('failed', `relativeError returned ${got}, expected ${expected} (max over i of |a_i - b_i| / max(1e-8, |a_i| + |b_i|))`);
  }
}

/** The tests of exercise 01, worth 6 points. */
export const gradientCheckSuite: Suite = {
  id: '01-gradient-check',
  title: 'Gradient checking',
  modules: ['gradient-check.ts'],
  // the library's own gradient checking: what this exercise asks the student to write
  forbiddenImports: ['numericalGradient', 'relativeError', 'compareTensors', 'directionalCheck'],
  tests: [
    {
      id: 'numgrad-elementwise',
      name: 'numericalGradient: elementwise polynomial, weighted by dout',
      points: 2,
      run: (ctx) =>
        checkProperty(ctx, gradCases('poly', [1e-2, 1e-3]), (c) => checkGradient(ctx, c, 'Use centered differences, (f(x + h) - f(x - h)) / 2h, with the h passed in, and weight by dout.'), {
          examples: [
            {
              shape: [3],
              kind: 'poly',
              M: 1,
              h: 1e-5,
              seed: 1,
              label: 'x^2 at [1, 2, 3] with dout ones gives about [2, 4, 6]',
              fixed: { x: Tensor.from([1, 2, 3]), spec: { kind: 'poly', coeffs: [0, 0, 1] }, dout: Tensor.ones([3]) },
            },
          ],
          describe: describeGrad,
        }),
    },
    {
      id: 'numgrad-general',
      name: 'numericalGradient: f(x) = tanh(A x + b), output shaped unlike x',
      points: 2,
      run: (ctx) =>
        checkProperty(ctx, gradCases('tanh-affine', [1e-3, 1e-4, 1e-5]), (c) => checkGradient(ctx, c, 'f(x) may have another shape than x, and every output may depend on every input: restore x[i] after each perturbation.'), {
          describe: describeGrad,
        }),
    },
    {
      id: 'relerr-random',
      name: 'relativeError: random tensors',
      points: 1,
      run: (ctx) =>
        checkProperty(ctx, jointRecord({ shape: shapes, zeros: fc.constant(0), seed: fc.nat() }, { edge: { shape: wideShapes } }), (c) => checkRelativeError(ctx, c), {
          examples: [{ shape: [2], zeros: 0, seed: 1, label: 'the docstring example', fixed: { a: Tensor.from([1, 2]), b: Tensor.from([1, 3]) } }],
          describe: describeRel,
        }),
    },
    {
      id: 'relerr-zeros',
      name: 'relativeError: 0 where both tensors are 0 (never NaN)',
      points: 1,
      run: (ctx) =>
        checkProperty(ctx, jointRecord({ shape: shapes, zeros: fc.constantFrom(0.3, 0.7), seed: fc.nat() }, { edge: { shape: wideShapes } }), (c) => checkRelativeError(ctx, c), {
          examples: [{ shape: [4], zeros: 1, seed: 1, label: 'two zero tensors', fixed: { a: Tensor.zeros([4]), b: Tensor.zeros([4]) } }],
          describe: describeRel,
        }),
    },
  ],
};
