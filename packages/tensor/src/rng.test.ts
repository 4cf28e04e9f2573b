import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValueError } from './errors.js';
import { Rng } from './rng.js';

/**
 * mulberry32 as published (Tommy Ettinger's generator, the widely copied JavaScript port),
 * kept here as an independent reference for the stream `Rng.next()` must reproduce.
 */
function mulberry32(a: number): () => number {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function draw(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.next());
}

function meanStd(xs: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / xs.length) };
}

describe('Rng: determinism', () => {
  for (const seed of [0, 1, 42, 123456789, -7]) {
    it(`seed=${seed}: next() matches the published mulberry32 stream for 1000 draws`, () => {
      const ref = mulberry32(seed);
      const want = Array.from({ length: 1000 }, () => ref());
      expect(draw(new Rng(seed), 1000)).toEqual(want);
    });
  }

  it('same seed -> same sequence (next, normal, int, permutation interleaved)', () => {
    const run = (seed: number) => {
      const r = new Rng(seed);
      return [...draw(r, 10), r.normal(), r.normal(), r.normal(), r.int(0, 9), ...Array.from(r.permutation(8)), ...Array.from(r.randn([5]).data)];
    };
    expect(run(7)).toEqual(run(7));
  });

  it('property: different seeds give different first 8 draws', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (a, b) => {
        fc.pre(a !== b);
        expect(draw(new Rng(a), 8)).not.toEqual(draw(new Rng(b), 8));
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('seed -1 and 2^32 - 1 give the same stream (seed taken modulo 2^32)', () => {
    expect(draw(new Rng(-1), 5)).toEqual(draw(new Rng(2 ** 32 - 1), 5));
    expect(draw(new Rng(2 ** 32 + 5), 5)).toEqual(draw(new Rng(5), 5));
  });

  it('seed 1.5 / NaN -> ValueError "Rng: seed must be an integer"', () => {
    expect(() => new Rng(1.5)).toThrow(ValueError);
    expect(() => new Rng(1.5)).toThrow('Rng: seed must be an integer, got 1.5');
    expect(() => new Rng(Number.NaN)).toThrow(ValueError);
  });
});

describe('Rng: distributions', () => {
  it('next() over 20000 draws: all in [0,1), mean ~0.5, std ~1/sqrt(12)', () => {
    const r = new Rng(3);
    const xs = draw(r, 20000);
    expect(xs.filter((x) => !(x >= 0 && x < 1))).toEqual([]);
    const { mean, std } = meanStd(xs);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(std - 1 / Math.sqrt(12))).toBeLessThan(0.01);
  });

  it('uniform(-2, 3) over 5000 draws stays in [-2, 3) and covers both halves', () => {
    const r = new Rng(4);
    const xs = Array.from({ length: 5000 }, () => r.uniform(-2, 3));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...xs)).toBeLessThan(3);
    expect(Math.min(...xs)).toBeLessThan(-1.9);
    expect(Math.max(...xs)).toBeGreaterThan(2.9);
    expect(new Rng(4).uniform()).toBe(new Rng(4).next());
  });

  it('int(-2, 2) over 5000 draws: integers in [-2, 2], every value hit', () => {
    const r = new Rng(5);
    const counts = new Map<number, number>();
    for (let i = 0; i < 5000; i++) {
      const v = r.int(-2, 2);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2]);
    for (const c of counts.values()) expect(c).toBeGreaterThan(800);
  });

  it('int(3, 1) / int(0.5, 2) -> ValueError naming lo and hi', () => {
    expect(() => new Rng(1).int(3, 1)).toThrow(ValueError);
    expect(() => new Rng(1).int(3, 1)).toThrow('Rng.int: needs integers lo <= hi, got lo 3, hi 1');
    expect(() => new Rng(1).int(0.5, 2)).toThrow(ValueError);
    expect(new Rng(1).int(4, 4)).toBe(4);
  });

  it('normal() over 20000 samples: mean ~0, std ~1 (loose bounds)', () => {
    const r = new Rng(6);
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const { mean, std } = meanStd(xs);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
    // About 68.3% within one standard deviation.
    const inside = xs.filter((x) => Math.abs(x) < 1).length / xs.length;
    expect(Math.abs(inside - 0.6827)).toBeLessThan(0.02);
  });

  it('normal() pairs (Box-Muller cos/sin halves) over 10000 pairs: correlation ~0', () => {
    const r = new Rng(10);
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 10000; i++) {
      xs.push(r.normal());
      ys.push(r.normal());
    }
    const mx = meanStd(xs);
    const my = meanStd(ys);
    let cov = 0;
    for (let i = 0; i < xs.length; i++) cov += (xs[i] - mx.mean) * (ys[i] - my.mean);
    const corr = cov / xs.length / (mx.std * my.std);
    expect(Math.abs(corr)).toBeLessThan(0.05);
  });

  it('normal(5, 0.1) over 20000 samples: mean ~5, std ~0.1', () => {
    const r = new Rng(7);
    const { mean, std } = meanStd(Array.from({ length: 20000 }, () => r.normal(5, 0.1)));
    expect(Math.abs(mean - 5)).toBeLessThan(0.005);
    expect(Math.abs(std - 0.1)).toBeLessThan(0.005);
  });

  it('randn([100,200], std=2, mean=-1): shape and moments', () => {
    const t = new Rng(8).randn([100, 200], 2, -1);
    expect(t.shape).toEqual([100, 200]);
    const { mean, std } = meanStd(t.data);
    expect(Math.abs(mean + 1)).toBeLessThan(0.1);
    expect(Math.abs(std - 2)).toBeLessThan(0.1);
  });

  it('rand([50,40], 1, 4): shape and range [1, 4)', () => {
    const t = new Rng(9).rand([50, 40], 1, 4);
    expect(t.shape).toEqual([50, 40]);
    expect(Array.from(t.data).filter((v) => !(v >= 1 && v < 4))).toEqual([]);
    expect(Math.abs(meanStd(t.data).mean - 2.5)).toBeLessThan(0.1);
  });
});

describe('Rng.permutation', () => {
  for (const n of [0, 1, 2, 10]) {
    it(`permutation n=${n} is a permutation of 0..${n - 1}`, () => {
      const p = new Rng(n).permutation(n);
      expect(p.length).toBe(n);
      expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    });
  }

  it('permutation n=-1 / 2.5 -> ValueError', () => {
    expect(() => new Rng(1).permutation(-1)).toThrow('Rng.permutation: n must be an integer >= 0, got -1');
    expect(() => new Rng(1).permutation(2.5)).toThrow(ValueError);
  });

  it('property: permutation(n) over seeds contains every index exactly once', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 200 }), (seed, n) => {
        const p = new Rng(seed).permutation(n);
        expect(p.length).toBe(n);
        const seen = new Array<number>(n).fill(0);
        for (const v of p) seen[v] = (seen[v] ?? 0) + 1;
        expect(seen).toEqual(new Array<number>(n).fill(1));
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('permutation n=5 over 10000 draws: each value lands in each position ~1/5 of the time', () => {
    const r = new Rng(11);
    const counts = Array.from({ length: 5 }, () => new Array<number>(5).fill(0));
    for (let t = 0; t < 10000; t++) {
      const p = r.permutation(5);
      for (let i = 0; i < 5; i++) counts[i][p[i]]++;
    }
    for (const row of counts) for (const c of row) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });
});
