/**
 * The child-side runner, in-process: how it imports modules, decodes arguments, encodes
 * results, keeps handles, and reports errors. (In the sandbox it is the same code, bundled.)
 */
import { describe, expect, it } from 'vitest';
import { relativeError, Tensor } from '@dlkata/tensor';
import type { ChildMessage } from '../src/protocol.js';
import { createRunner, type ModuleLoaders } from '../src/sandbox/runner.js';

async function runner(loaders: ModuleLoaders): Promise<{ call: (fn: string, args: unknown[], keep?: string[]) => ChildMessage; first: ChildMessage; sent: ChildMessage[] }> {
  const sent: ChildMessage[] = [];
  const r = createRunner(loaders, (m) => sent.push(m));
  await r.loaded;
  let id = 0;
  return {
    first: sent[0],
    sent,
    call: (fn, args, keep) => {
      const n = ++id;
      r.onMessage({ type: 'call', id: n, fn, args, ...(keep ? { keep } : {}) });
      const reply = sent[sent.length - 1];
      expect(reply).toMatchObject({ id: n });
      return reply;
    },
  };
}

const wire = (t: Tensor): unknown => ({ $tensor: 1, shape: [...t.shape], data: t.data.slice() });

const module = {
  double: (x: Tensor) => x.map((v) => 2 * v),
  forward: (x: Tensor) => ({ out: x, cache: { x, secret: 42 } }),
  backward: (dout: Tensor, cache: { secret: number }) => ({ dx: dout.map((v) => v * cache.secret) }),
  apply: (f: (x: Tensor) => Tensor, x: Tensor) => f(x),
  weird: () => ({ f: () => 1, p: Promise.resolve(1), big: 10n, m: new Map(), i: new Int32Array(2), nested: { a: [1, 'x', null, undefined] } }),
  deep: () => {
    let o: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20; i++) o = { o };
    return o;
  },
  throwsString: () => {
    throw 'oops';
  },
  throwsError: () => {
    throw new RangeError('too big');
  },
  plainArrayTensor: () => new Tensor([1, 2] as unknown as Float64Array, [2]),
  relativeError,
  notAFunction: 3,
};

describe('runner', () => {
  it('reports its exports, and which are the library functions themselves', async () => {
    const r = await runner({ 'm.ts': async () => module });
    expect(r.first.type).toBe('ready');
    const ready = r.first as Extract<ChildMessage, { type: 'ready' }>;
    expect(ready.exports['m.ts']).toContain('double');
    expect(ready.reexports).toEqual(['relativeError']);
  });

  it('reports a module that throws at import, and answers nothing', async () => {
    const r = await runner({ 'm.ts': async () => { throw new Error('boom'); } });
    expect(r.first).toMatchObject({ type: 'import-error', module: 'm.ts', error: { name: 'Error', message: 'boom' } });
  });

  it('decodes tensors, calls the export, and encodes the result as a raw tensor record', async () => {
    const r = await runner({ 'm.ts': async () => module });
    const reply = r.call('double', [wire(Tensor.from([1, 2]))]);
    expect(reply).toEqual({ type: 'result', id: 1, value: { $tensor: 1, shape: [2], data: new Float64Array([2, 4]) } });
  });

  it('keeps requested fields as handles and resolves them in later calls', async () => {
    const r = await runner({ 'm.ts': async () => module });
    const fwd = r.call('forward', [wire(Tensor.from([1]))], ['cache']) as Extract<ChildMessage, { type: 'result' }>;
    const value = fwd.value as { out: unknown; cache: { $handle: number } };
    expect(value.cache).toEqual({ $handle: 1 });
    expect(value.out).toMatchObject({ $tensor: 1 });
    const bwd = r.call('backward', [wire(Tensor.from([2])), value.cache]) as Extract<ChildMessage, { type: 'result' }>;
    expect((bwd.value as unknown as { dx: { data: Float64Array } }).dx.data[0]).toBe(84);
    expect(r.call('backward', [wire(Tensor.from([2])), { $handle: 7 }])).toMatchObject({ type: 'error', kind: 'protocol', error: { message: 'unknown handle 7' } });
  });

  it('builds functions from specs', async () => {
    const r = await runner({ 'm.ts': async () => module });
    const reply = r.call('apply', [{ $fn: { kind: 'poly', coeffs: [0, 0, 1] } }, wire(Tensor.from([3]))]) as Extract<ChildMessage, { type: 'result' }>;
    expect((reply.value as { data: Float64Array }).data[0]).toBe(9);
  });

  it('encodes what cannot be sent as $unsupported, and caps nesting', async () => {
    const r = await runner({ 'm.ts': async () => module });
    const v = (r.call('weird', []) as Extract<ChildMessage, { type: 'result' }>).value as Record<string, unknown>;
    expect(v.f).toEqual({ $unsupported: 'function' });
    expect(v.p).toEqual({ $unsupported: 'a Promise' });
    expect(v.big).toEqual({ $unsupported: 'bigint' });
    expect(v.i).toEqual({ $unsupported: '[object Int32Array]' });
    expect(v.nested).toEqual({ a: [1, 'x', null, undefined] });
    expect(JSON.stringify((r.call('deep', []) as Extract<ChildMessage, { type: 'result' }>).value)).toContain('nested too deeply');
    const t = (r.call('plainArrayTensor', []) as Extract<ChildMessage, { type: 'result' }>).value;
    expect(t).toEqual({ $tensor: 1, shape: [2], data: [1, 2] });
  });

  it('reports throws, missing exports and non-functions', async () => {
    const r = await runner({ 'm.ts': async () => module });
    expect(r.call('throwsString', [])).toMatchObject({ type: 'error', kind: 'threw', error: { name: 'thrown value', message: 'string oops' } });
    expect(r.call('throwsError', [])).toMatchObject({ type: 'error', kind: 'threw', error: { name: 'RangeError', message: 'too big' } });
    expect(r.call('nope', [])).toMatchObject({ type: 'error', kind: 'missing-export' });
    expect(r.call('notAFunction', [])).toMatchObject({ type: 'error', kind: 'missing-export' });
  });

  it('ignores malformed messages', async () => {
    const sent: ChildMessage[] = [];
    const r = createRunner({ 'm.ts': async () => module }, (m) => sent.push(m));
    await r.loaded;
    for (const m of [null, 'call', { type: 'call' }, { type: 'call', id: 'x', fn: 'double', args: [] }, { type: 'score', id: 1 }]) r.onMessage(m);
    expect(sent).toHaveLength(1); // only `ready`
  });
});
