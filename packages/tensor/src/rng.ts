/**
 * A seeded random number generator, so every test and every grading run can be replayed
 * from one integer seed.
 *
 * @module
 */
import { ValueError } from './errors.js';
import { Tensor, type Shape } from './tensor.js';

/**
 * Deterministic pseudo-random numbers (mulberry32 core, Tommy Ettinger's 32-bit generator,
 * period 2^32; normals by Box-Muller).
 *
 * Not cryptographic. The same seed gives the same sequence on every machine and Node version.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * const x = rng.randn([2, 3, 8, 8]); // standard normal, shape [2, 3, 8, 8]
 * ```
 */
export class Rng {
  private state: number;
  private spare: number | null = null;

  /**
   * @param seed - any integer (taken modulo 2^32)
   * @throws ValueError if `seed` is not a finite integer
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new ValueError('Rng', `seed must be an integer, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** Uniform on `[0, 1)`, a multiple of 2^-32 (32 bits of randomness); the mulberry32 output. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform on `[lo, hi)` (one call of {@link Rng.next}). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /**
   * Integer uniform on `[lo, hi]` (both ends included; unbiased for ranges well below 2^32).
   *
   * @throws ValueError unless `lo` and `hi` are integers with `lo <= hi`: `"Rng.int: needs integers lo <= hi, got lo 3, hi 1"`
   */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi) {
      throw new ValueError('Rng.int', `needs integers lo <= hi, got lo ${lo}, hi ${hi}`);
    }
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /**
   * Normal with the given mean and standard deviation, by the Box-Muller transform (Box and
   * Muller, 1958): each pair of uniforms gives two independent standard normals, the second
   * kept for the next call.
   */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return mean + std * s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** A tensor of the given shape filled with normals `N(mean, std^2)`; note the order `(shape, std, mean)`. */
  randn(shape: Shape, std = 1, mean = 0): Tensor {
    const t = Tensor.zeros(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = this.normal(mean, std);
    return t;
  }

  /** A tensor of the given shape filled with uniforms on `[lo, hi)`. */
  rand(shape: Shape, lo = 0, hi = 1): Tensor {
    const t = Tensor.zeros(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = this.uniform(lo, hi);
    return t;
  }

  /**
   * A uniformly random permutation of `0 .. n-1` (Fisher-Yates / Durstenfeld shuffle), e.g.
   * to shuffle a data set each epoch.
   *
   * @throws ValueError unless `n` is a non-negative integer: `"Rng.permutation: n must be an integer >= 0, got -1"`
   */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0) throw new ValueError('Rng.permutation', `n must be an integer >= 0, got ${n}`);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
