import { compareTensors, NotImplementedError, numericalGradient, Rng, Tensor, type CompareOptions } from '@dlkata/tensor';
import fc from 'fast-check';
import { assert, describe, expect, test } from 'vitest';
import {
  captionGreedy,
  captionLoss,
  captionSample,
  manyToOneLoss,
  seq2seqGreedy,
  seq2seqLoss,
  stackedLstmBackward,
  stackedLstmForward,
  type CaptionParams,
  type ClassifierParams,
  type Seq2SeqParams,
} from './architectures.js';
import { affineForward, embeddingForward, lstmForward, lstmStepForward, timeStep, type LstmLayer } from './cells.js';

/** Seed of the property-based tests; a failure prints it with the counterexample, so it replays exactly. */
const SEED = 20_240_112;
const VALUE_TOL: CompareOptions = { tol: 1e-9, atol: 1e-12 };
/** Analytic gradients against numerical gradients (centered differences, h = 1e-5). */
const GRAD_TOL: CompareOptions = { tol: 1e-6, atol: 1e-8 };

/** Fails with a message naming the function, the tensor, the index and the relative error. */
function expectTensor(what: string, actual: Tensor, expected: Tensor, opts: CompareOptions = VALUE_TOL): void {
  const r = compareTensors(what, actual, expected, opts);
  if (!r.ok) assert.fail(r.message);
}

/**
 * Runs a seeded property-based test. On failure, throws the failing case's own error (a TODO
 * as is), with how to replay it appended: fast-check's seed and the path of the shrunk case.
 */
function forAll<T>(cases: fc.Arbitrary<T>, numRuns: number, check: (c: T) => void): void {
  const run = fc.check(fc.property(cases, check), { seed: SEED, numRuns });
  if (!run.failed) return;
  const cause = run.errorInstance;
  if (cause instanceof NotImplementedError || run.counterexample === null) throw cause ?? new Error(fc.defaultReportMessage(run) ?? 'property failed');
  const replay = `case ${JSON.stringify(run.counterexample[0])}; replay with fast-check seed ${run.seed}, path "${run.counterexamplePath}"`;
  throw new Error(`${cause instanceof Error ? cause.message : String(cause)}\n(${replay})`, { cause });
}

/** Every gradient of a scalar function of a parameter object, against centered differences. */
function checkGrads<P extends object>(fn: string, params: P, loss: (p: P) => number, grads: object, label: string): void {
  const ps = params as Record<string, Tensor>;
  for (const k of Object.keys(ps)) {
    const num = numericalGradient((t) => Tensor.from([loss({ ...params, [k]: t })]), ps[k], Tensor.from([1]));
    expectTensor(`${fn}: grads.${k} (${label})`, (grads as Record<string, Tensor>)[k], num, GRAD_TOL);
  }
}

function layer(rng: Rng, D: number, H: number): LstmLayer {
  return { Wx: rng.randn([D, 4 * H], 1 / Math.sqrt(D)), Wh: rng.randn([H, 4 * H], 1 / Math.sqrt(H)), b: rng.randn([4 * H], 0.5) };
}

interface StackCase {
  N: number;
  T: number;
  D: number;
  Hs: number[];
  seed: number;
}
const stackCases = fc.record({
  N: fc.integer({ min: 1, max: 2 }),
  T: fc.integer({ min: 1, max: 4 }),
  D: fc.integer({ min: 1, max: 3 }),
  Hs: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});
const stackName = (c: StackCase): string => `N=${c.N} T=${c.T} D=${c.D} hidden sizes [${c.Hs.join(',')}] seed=${c.seed}`;

function stackInputs(c: StackCase) {
  const rng = new Rng(c.seed);
  const layers = c.Hs.map((H, l) => layer(rng, l === 0 ? c.D : c.Hs[l - 1], H));
  return { rng, layers, x: rng.randn([c.N, c.T, c.D]), h0: c.Hs.map((H) => rng.randn([c.N, H], 0.5)), c0: c.Hs.map((H) => rng.randn([c.N, H], 0.5)) };
}

describe('stackedLstmForward', () => {
  test('x=[2,5,3], hidden sizes [4, 2]: h [2,5,2], hT and cT [2,4] and [2,2], 2 layer caches', () => {
    const { x, layers } = stackInputs({ N: 2, T: 5, D: 3, Hs: [4, 2], seed: 1 });
    const r = stackedLstmForward(x, layers);
    expect(r.h.shape, 'stackedLstmForward: shape of h').toEqual([2, 5, 2]);
    expect(r.hT.map((t) => t.shape), 'shapes of hT').toEqual([[2, 4], [2, 2]]);
    expect(r.cT.map((t) => t.shape), 'shapes of cT').toEqual([[2, 4], [2, 2]]);
    expect(r.cache.layers.length, 'number of layer caches').toBe(2);
  });

  test(`random stacks: h is layer L-1 run on layer L-2 ... run on x; hT[l], cT[l] are layer l's final states (seed ${SEED})`, () => {
    forAll(stackCases, 30, (c) => {
      const { x, layers, h0, c0 } = stackInputs(c);
      const r = stackedLstmForward(x, layers, h0, c0);
      let input = x;
      layers.forEach((p, l) => {
        const want = lstmForward(input, h0[l], c0[l], p);
        expectTensor(`stackedLstmForward: hT[${l}] (${stackName(c)})`, r.hT[l], timeStep(want.h, c.T - 1));
        expectTensor(`stackedLstmForward: cT[${l}] (${stackName(c)})`, r.cT[l], want.cT);
        input = want.h;
      });
      expectTensor(`stackedLstmForward: h (${stackName(c)})`, r.h, input);
    });
  });
});

describe('stackedLstmBackward', () => {
  test(`random stacks: dx, every layer's dWx, dWh, db, and dh0, dc0 match the numerical gradient of sum(h dh) (seed ${SEED})`, () => {
    forAll(stackCases, 10, (c) => {
      const { x, layers, h0, c0, rng } = stackInputs(c);
      const f = stackedLstmForward(x, layers, h0, c0);
      const dh = rng.randn(f.h.shape);
      const g = stackedLstmBackward(dh, f.cache);
      const L = (xx: Tensor, ls: LstmLayer[], hh: Tensor[], cc: Tensor[]): Tensor => {
        const h = stackedLstmForward(xx, ls, hh, cc).h;
        let s = 0;
        for (let i = 0; i < h.size; i++) s += h.data[i] * dh.data[i];
        return Tensor.from([s]);
      };
      const one = Tensor.from([1]);
      expectTensor(`stackedLstmBackward: dx (${stackName(c)})`, g.dx, numericalGradient((t) => L(t, layers, h0, c0), x, one), GRAD_TOL);
      layers.forEach((p, l) => {
        for (const k of ['Wx', 'Wh', 'b'] as const) {
          const num = numericalGradient((t) => L(x, layers.map((q, m) => (m === l ? { ...q, [k]: t } : q)), h0, c0), p[k], one);
          expectTensor(`stackedLstmBackward: layers[${l}].d${k} (${stackName(c)})`, g.layers[l][`d${k}`], num, GRAD_TOL);
        }
        expectTensor(`stackedLstmBackward: dh0[${l}] (${stackName(c)})`, g.dh0[l], numericalGradient((t) => L(x, layers, h0.map((q, m) => (m === l ? t : q)), c0), h0[l], one), GRAD_TOL);
        expectTensor(`stackedLstmBackward: dc0[${l}] (${stackName(c)})`, g.dc0[l], numericalGradient((t) => L(x, layers, h0, c0.map((q, m) => (m === l ? t : q))), c0[l], one), GRAD_TOL);
      });
    });
  });
});

function classifier(rng: Rng, D: number, H: number, K: number): ClassifierParams {
  return { ...layer(rng, D, H), Wy: rng.randn([H, K], 1 / Math.sqrt(H)), by: rng.randn([K], 0.1) };
}

describe('manyToOneLoss', () => {
  test('Wy = 0, by = 0: every class equally likely, loss = log K, whatever the pooling', () => {
    const rng = new Rng(2);
    const p = { ...classifier(rng, 3, 4, 5), Wy: Tensor.zeros([4, 5]), by: Tensor.zeros([5]) };
    const x = rng.randn([2, 6, 3]);
    for (const pool of ['last', 'mean'] as const) expect(manyToOneLoss(x, p, [0, 4], pool).loss, `loss, pool ${pool}`).toBeCloseTo(Math.log(5), 12);
  });

  test('pool last: the scores are h[:, T-1, :] Wy + by; pool mean: the mean over t of h, times Wy, plus by', () => {
    const rng = new Rng(3);
    const p = classifier(rng, 3, 4, 5);
    const x = rng.randn([2, 6, 3]);
    const { h } = lstmForward(x, Tensor.zeros([2, 4]), Tensor.zeros([2, 4]), p);
    const last = timeStep(h, 5);
    const mean = Tensor.zeros([2, 4]);
    for (let t = 0; t < 6; t++) timeStep(h, t).data.forEach((v, i) => (mean.data[i] += v / 6));
    const head = (q: Tensor): Tensor => affineForward(q.reshape([2, 1, 4]), p.Wy, p.by).reshape([2, 5]);
    expectTensor('manyToOneLoss: scores (pool last)', manyToOneLoss(x, p, [0, 1], 'last').scores, head(last));
    expectTensor('manyToOneLoss: scores (pool mean)', manyToOneLoss(x, p, [0, 1], 'mean').scores, head(mean));
  });

  test(`random N, T, D, H, K, both poolings: every gradient and dx match the numerical gradient of the loss (seed ${SEED})`, () => {
    forAll(fc.record({ N: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: 4 }), D: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 3 }), K: fc.integer({ min: 2, max: 4 }), mean: fc.boolean(), seed: fc.nat() }), 15, (c) => {
      const rng = new Rng(c.seed);
      const p = classifier(rng, c.D, c.H, c.K);
      const x = rng.randn([c.N, c.T, c.D]);
      const y = Array.from({ length: c.N }, () => rng.int(0, c.K - 1));
      const pool = c.mean ? 'mean' : 'last';
      const r = manyToOneLoss(x, p, y, pool);
      const label = JSON.stringify(c);
      checkGrads('manyToOneLoss', p, (q) => manyToOneLoss(x, q, y, pool).loss, r.grads, label);
      expectTensor(`manyToOneLoss: dx (${label})`, r.dx, numericalGradient((t) => Tensor.from([manyToOneLoss(t, p, y, pool).loss]), x, Tensor.from([1])), GRAD_TOL);
    });
  });
});

const NULL = 0;
const START = 1;
const END = 2;

function captionParams(rng: Rng, F: number, V: number, E: number, H: number): CaptionParams {
  return { Wproj: rng.randn([F, H], 1 / Math.sqrt(F)), bproj: rng.randn([H], 0.1), Wembed: rng.randn([V, E]), ...layer(rng, E, H), Wvocab: rng.randn([H, V], 2 / Math.sqrt(H)), bvocab: rng.randn([V], 0.1) };
}

/** The oracle of greedy decoding, one step at a time with the given cells. */
function oracleDecode(h0: Tensor, c0: Tensor, Wembed: Tensor, l: LstmLayer, Wout: Tensor, bout: Tensor, maxLength: number): number[][] {
  const N = h0.shape[0];
  const V = Wout.shape[1];
  return Array.from({ length: N }, (_, n) => {
    let h = Tensor.from([Array.from(h0.data.subarray(n * h0.shape[1], (n + 1) * h0.shape[1]))]);
    let c = Tensor.from([Array.from(c0.data.subarray(n * c0.shape[1], (n + 1) * c0.shape[1]))]);
    const out: number[] = [];
    let prev = START;
    while (out.length < maxLength) {
      if (out.includes(END)) {
        out.push(NULL);
        continue;
      }
      const s = lstmStepForward(embeddingForward([[prev]], Wembed).reshape([1, Wembed.shape[1]]), h, c, l);
      h = s.nextH;
      c = s.nextC;
      const scores = affineForward(h.reshape([1, 1, h.shape[1]]), Wout, bout).data;
      let best = 0;
      for (let v = 1; v < V; v++) if (scores[v] > scores[best]) best = v;
      out.push(best);
      prev = best;
    }
    return out;
  });
}

describe('captionLoss', () => {
  const captions = [
    [START, 4, 5, 3, END, NULL],
    [START, 3, END, NULL, NULL, NULL],
  ];

  test('a flat vocabulary layer (Wvocab = 0, bvocab = 0): each counted word costs log V; 6 counted targets over N = 2 give 3 log V', () => {
    const rng = new Rng(4);
    const p = { ...captionParams(rng, 3, 6, 2, 4), Wvocab: Tensor.zeros([4, 6]), bvocab: Tensor.zeros([6]) };
    expect(captionLoss(rng.randn([2, 3]), captions, p, NULL).loss, 'captionLoss: loss').toBeCloseTo(3 * Math.log(6), 12);
  });

  test('padding does not count: more NULL padding at the end leaves the loss unchanged', () => {
    const rng = new Rng(5);
    const p = captionParams(rng, 3, 6, 2, 4);
    const f = rng.randn([2, 3]);
    const padded = captions.map((r) => [...r, NULL, NULL]);
    expect(captionLoss(f, padded, p, NULL).loss, 'captionLoss: loss with longer padding').toBeCloseTo(captionLoss(f, captions, p, NULL).loss, 12);
  });

  test('the image matters: the features set the initial hidden state, so other features give another loss', () => {
    const rng = new Rng(6);
    const p = captionParams(rng, 3, 6, 2, 4);
    const a = captionLoss(rng.randn([2, 3]), captions, p, NULL).loss;
    const b = captionLoss(rng.randn([2, 3]), captions, p, NULL).loss;
    expect(Math.abs(a - b), 'captionLoss: |loss(features 1) - loss(features 2)|').toBeGreaterThan(1e-6);
  });

  test(`random sizes and captions with padding: every gradient and dfeatures match the numerical gradient of the loss (seed ${SEED})`, () => {
    forAll(fc.record({ N: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: 4 }), F: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 3 }), seed: fc.nat() }), 10, (c) => {
      const rng = new Rng(c.seed);
      const V = 5;
      const p = captionParams(rng, c.F, V, 2, c.H);
      const features = rng.randn([c.N, c.F]);
      const caps = Array.from({ length: c.N }, () => {
        const len = rng.int(1, c.T);
        return [START, ...Array.from({ length: c.T }, (_, t) => (t < len ? rng.int(2, V - 1) : NULL))];
      });
      const r = captionLoss(features, caps, p, NULL);
      const label = `${JSON.stringify(c)}, captions ${JSON.stringify(caps)}`;
      checkGrads('captionLoss', p, (q) => captionLoss(features, caps, q, NULL).loss, r.grads, label);
      expectTensor(`captionLoss: dfeatures (${label})`, r.dfeatures, numericalGradient((t) => Tensor.from([captionLoss(t, caps, p, NULL).loss]), features, Tensor.from([1])), GRAD_TOL);
    });
  });
});

describe('captionGreedy and captionSample', () => {
  test(`random models: greedy decoding equals a step-by-step argmax from h0 = features Wproj + bproj, NULL after the end token (seed ${SEED})`, () => {
    forAll(fc.record({ N: fc.integer({ min: 1, max: 3 }), seed: fc.nat() }), 20, (c) => {
      const rng = new Rng(c.seed);
      const p = captionParams(rng, 3, 6, 3, 4);
      const features = rng.randn([c.N, 3]);
      const got = captionGreedy(features, p, { start: START, end: END, nullId: NULL, maxLength: 6 });
      const h0 = affineForward(features.reshape([c.N, 1, 3]), p.Wproj, p.bproj).reshape([c.N, 4]);
      expect(got, `captionGreedy (${JSON.stringify(c)})`).toEqual(oracleDecode(h0, Tensor.zeros([c.N, 4]), p.Wembed, p, p.Wvocab, p.bvocab, 6));
    });
  });

  test('sampling: a tiny temperature gives the greedy caption; u = 0 picks id 0; u just below 1 the last id; the same uniforms give the same captions', () => {
    const rng = new Rng(7);
    const p = captionParams(rng, 3, 6, 3, 4);
    const features = rng.randn([3, 3]);
    const o = { start: START, end: END, nullId: NULL, maxLength: 5 };
    const u = Tensor.zeros([3, 5]).map(() => rng.uniform());
    expect(captionSample(features, p, { ...o, temperature: 1e-4, uniforms: u }), 'captionSample at temperature 1e-4').toEqual(captionGreedy(features, p, o));
    expect(captionSample(features, p, { ...o, temperature: 1, uniforms: Tensor.zeros([3, 5]) }).map((r) => r[0]), 'first words with u = 0').toEqual([0, 0, 0]);
    expect(captionSample(features, p, { ...o, temperature: 1, uniforms: Tensor.zeros([3, 5]).map(() => 1 - 1e-12) }).map((r) => r[0]), 'first words with u = 1 - 1e-12').toEqual([5, 5, 5]);
    expect(captionSample(features, p, { ...o, temperature: 2, uniforms: u }), 'the same uniforms twice').toEqual(captionSample(features, p, { ...o, temperature: 2, uniforms: u }));
  });

  test('temperature: the first word is drawn from softmax(scores / temperature), checked at temperatures 0.5, 1 and 3 by its cumulative probability', () => {
    const rng = new Rng(8);
    const p = captionParams(rng, 3, 6, 3, 4);
    const features = rng.randn([1, 3]);
    const h0 = affineForward(features.reshape([1, 1, 3]), p.Wproj, p.bproj).reshape([1, 4]);
    const s = lstmStepForward(embeddingForward([[START]], p.Wembed).reshape([1, 3]), h0, Tensor.zeros([1, 4]), p);
    const scores = affineForward(s.nextH.reshape([1, 1, 4]), p.Wvocab, p.bvocab).data;
    for (const T of [0.5, 1, 3]) {
      const z = Array.from(scores, (v) => Math.exp(v / T));
      const total = z.reduce((a, b) => a + b, 0);
      let acc = 0;
      z.forEach((zv, v) => {
        // A u just below the cumulative probability up to v picks v (if v has any probability).
        const u = acc + 0.5 * (zv / total);
        acc += zv / total;
        const got = captionSample(features, p, { start: START, end: END, nullId: NULL, maxLength: 1, temperature: T, uniforms: Tensor.from([[u]]) })[0][0];
        expect(got, `captionSample: first word at temperature ${T} with u = ${u}`).toBe(v);
      });
    }
  });
});

function seq2seqParams(rng: Rng, Vs: number, Vt: number, E: number, H: number): Seq2SeqParams {
  const enc = layer(rng, E, H);
  const dec = layer(rng, E, H);
  return { Wsrc: rng.randn([Vs, E]), encWx: enc.Wx, encWh: enc.Wh, encb: enc.b, Wtgt: rng.randn([Vt, E]), decWx: dec.Wx, decWh: dec.Wh, decb: dec.b, Wout: rng.randn([H, Vt], 2 / Math.sqrt(H)), bout: rng.randn([Vt], 0.1) };
}

describe('seq2seqLoss and seq2seqGreedy', () => {
  const src = [
    [3, 4, 5],
    [5, 5, 3],
  ];
  const tgt = [
    [START, 3, 4, END],
    [START, 5, END, NULL],
  ];

  test('the source matters: the encoder state starts the decoder, so another source word gives another loss', () => {
    const rng = new Rng(9);
    const p = seq2seqParams(rng, 6, 6, 2, 3);
    const a = seq2seqLoss(src, tgt, p, NULL).loss;
    const b = seq2seqLoss([[3, 4, 4], src[1]], tgt, p, NULL).loss;
    expect(Math.abs(a - b), 'seq2seqLoss: |loss(src 1) - loss(src 2)|').toBeGreaterThan(1e-6);
  });

  test('a flat output layer (Wout = 0, bout = 0): 5 counted targets over N = 2 cost 2.5 log V', () => {
    const rng = new Rng(10);
    const p = { ...seq2seqParams(rng, 6, 6, 2, 3), Wout: Tensor.zeros([3, 6]), bout: Tensor.zeros([6]) };
    expect(seq2seqLoss(src, tgt, p, NULL).loss, 'seq2seqLoss: loss').toBeCloseTo(2.5 * Math.log(6), 12);
  });

  test(`random sizes: every gradient, the encoder's included, matches the numerical gradient of the loss (seed ${SEED})`, () => {
    forAll(fc.record({ N: fc.integer({ min: 1, max: 2 }), S: fc.integer({ min: 1, max: 4 }), T: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 1, max: 3 }), seed: fc.nat() }), 8, (c) => {
      const rng = new Rng(c.seed);
      const p = seq2seqParams(rng, 5, 5, 2, c.H);
      const s = Array.from({ length: c.N }, () => Array.from({ length: c.S }, () => rng.int(0, 4)));
      const t = Array.from({ length: c.N }, () => [START, ...Array.from({ length: c.T }, () => rng.int(0, 4))]);
      const r = seq2seqLoss(s, t, p, NULL);
      checkGrads('seq2seqLoss', p, (q) => seq2seqLoss(s, t, q, NULL).loss, r.grads, `${JSON.stringify(c)}, src ${JSON.stringify(s)}, tgt ${JSON.stringify(t)}`);
    });
  });

  test(`random models: greedy decoding equals a step-by-step argmax started from the encoder's final hT and cT (seed ${SEED})`, () => {
    forAll(fc.record({ N: fc.integer({ min: 1, max: 3 }), seed: fc.nat() }), 20, (c) => {
      const rng = new Rng(c.seed);
      const p = seq2seqParams(rng, 6, 6, 3, 4);
      const s = Array.from({ length: c.N }, () => Array.from({ length: 4 }, () => rng.int(0, 5)));
      const e = lstmForward(embeddingForward(s, p.Wsrc), Tensor.zeros([c.N, 4]), Tensor.zeros([c.N, 4]), { Wx: p.encWx, Wh: p.encWh, b: p.encb });
      const want = oracleDecode(timeStep(e.h, 3), e.cT, p.Wtgt, { Wx: p.decWx, Wh: p.decWh, b: p.decb }, p.Wout, p.bout, 6);
      expect(seq2seqGreedy(s, p, { start: START, end: END, nullId: NULL, maxLength: 6 }), `seq2seqGreedy (${JSON.stringify(c)})`).toEqual(want);
    });
  });
});
