/**
 * A sequential network built from a {@link ModelSpec}: parameters, forward pass with caches,
 * backward pass with gradients keyed like the parameters. The layers are the library's
 * primitives; only they carry hand-written gradients (CS231n's composition rule).
 *
 * @module
 */
import { checkOptions, formatShape, Rng, ShapeError, Tensor, ValueError, type Conv2DParams, type Pool2DParams } from '@dlkata/tensor';
import { affineBackward, affineForward, type AffineCache } from '../affine.js';
import { conv2dBackward, conv2dForward, type Conv2dCache } from '../conv2d.js';
import { maxPool2dBackward, maxPool2dForward, type MaxPool2dCache } from '../maxpool2d.js';
import { reluBackward, reluForward, type ReluCache } from '../relu.js';
import { analyze, type LayerSpec, type ModelInfo, type ModelSpec } from './spec.js';

/** Parameters (or gradients) by name: `"conv1.w"`, `"conv1.b"`, `"fc3.w"`, ... */
export type ParamDict = Record<string, Tensor>;

/**
 * The primitives a network's forward and backward passes call, in the library's signatures.
 * {@link LIBRARY_OPS} holds the library's own; another implementation with the same
 * signatures (a student's layers behind adapters) can stand in for any of them. Caches are
 * opaque: a backward function receives exactly what its forward function returned.
 */
export interface LayerOps {
  /** Convolution forward, as {@link conv2dForward}. */
  readonly conv2dForward: (x: Tensor, w: Tensor, b: Tensor, params: Conv2DParams) => { out: Tensor; cache: unknown };
  /** Convolution backward, as {@link conv2dBackward}. */
  readonly conv2dBackward: (dout: Tensor, cache: never) => { dx: Tensor; dw: Tensor; db: Tensor };
  /** Max pooling forward, as {@link maxPool2dForward}. */
  readonly maxPool2dForward: (x: Tensor, params: Pool2DParams) => { out: Tensor; cache: unknown };
  /** Max pooling backward, as {@link maxPool2dBackward}. */
  readonly maxPool2dBackward: (dout: Tensor, cache: never) => { dx: Tensor };
  /** ReLU forward, as {@link reluForward}. */
  readonly reluForward: (x: Tensor) => { out: Tensor; cache: unknown };
  /** ReLU backward, as {@link reluBackward}. */
  readonly reluBackward: (dout: Tensor, cache: never) => { dx: Tensor };
  /** Affine forward, as {@link affineForward}. */
  readonly affineForward: (x: Tensor, w: Tensor, b: Tensor) => { out: Tensor; cache: unknown };
  /** Affine backward, as {@link affineBackward}. */
  readonly affineBackward: (dout: Tensor, cache: never) => { dx: Tensor; dw: Tensor; db: Tensor };
}

/** The library's primitives: what a network uses unless {@link Network.ops} replaces some. */
export const LIBRARY_OPS: LayerOps = Object.freeze({
  conv2dForward,
  conv2dBackward,
  maxPool2dForward,
  maxPool2dBackward,
  reluForward,
  reluBackward,
  affineForward,
  affineBackward,
});

/** A network: its spec, the analysed shapes, and the current parameters. */
export interface Network {
  readonly spec: ModelSpec;
  readonly info: ModelInfo;
  /** Current parameters; optimisers update these tensors in place. */
  readonly params: ParamDict;
  /** Primitives that replace the library's ({@link LIBRARY_OPS}) in the forward and backward passes. Default: none. */
  readonly ops?: Partial<LayerOps>;
}

function opsOf(net: Network): LayerOps {
  if (!net.ops) return LIBRARY_OPS;
  checkOptions(net.spec.name, 'ops', net.ops, Object.keys(LIBRARY_OPS));
  return { ...LIBRARY_OPS, ...net.ops };
}

/** How to draw initial weights. */
export type InitScheme = 'he' | 'xavier';

/** Layer types the sequential runtime runs; the others (batch norm, residual stages, ...) are for counting with {@link analyze}. */
export const RUNNABLE_LAYERS: readonly LayerSpec['type'][] = ['conv', 'maxpool', 'relu', 'tanh', 'dropout', 'flatten', 'affine'];

function checkRunnable(model: string, name: string, s: LayerSpec): void {
  if (!RUNNABLE_LAYERS.includes(s.type)) {
    throw new ValueError(`createNetwork (${model})`, `layer ${name} (${s.type}) can be counted with analyze() and summary() but not run: the sequential runtime runs ${RUNNABLE_LAYERS.join(', ')}`);
  }
  if (s.type === 'conv' && s.bias === false) throw new ValueError(`createNetwork (${model})`, `layer ${name}: bias: false can be counted but not run; the runtime's convolutions have biases`);
  if (s.type === 'maxpool' && s.ceilMode) throw new ValueError(`createNetwork (${model})`, `layer ${name}: ceilMode can be counted but not run; maxPool2dForward rounds the output size down`);
}

/**
 * Builds a network with freshly initialised parameters: weights ~ N(0, std^2) with He/Kaiming
 * `std = sqrt(2 / fan_in)` for ReLU nets (He et al. 2015) or Glorot/Xavier `sqrt(1 / fan_in)`,
 * biases 0. `fan_in` is `C*KH*KW` for a conv and `D` for an affine layer. Conv weights are
 * `[F, C, K, K]`, affine weights `[D, units]`; names are `<layer>.w` and `<layer>.b`.
 *
 * @throws ShapeError if the spec does not fit its input shape
 * @throws ValueError for an unknown key in the spec, or a layer the runtime cannot run (see {@link RUNNABLE_LAYERS})
 */
export function createNetwork(spec: ModelSpec, rng: Rng, init: InitScheme = 'he'): Network {
  const info = analyze(spec);
  const params: ParamDict = {};
  for (const layer of info.layers) {
    const s = layer.spec;
    checkRunnable(spec.name, layer.name, s);
    if (s.type === 'conv') {
      const C = layer.inputShape[0];
      const fanIn = C * s.kernel * s.kernel;
      params[`${layer.name}.w`] = rng.randn([s.filters, C, s.kernel, s.kernel], Math.sqrt((init === 'he' ? 2 : 1) / fanIn));
      params[`${layer.name}.b`] = Tensor.zeros([s.filters]);
    } else if (s.type === 'affine') {
      const D = layer.inputShape[0];
      params[`${layer.name}.w`] = rng.randn([D, s.units], Math.sqrt((init === 'he' ? 2 : 1) / D));
      params[`${layer.name}.b`] = Tensor.zeros([s.units]);
    }
  }
  return { spec, info, params };
}

/** What one layer of a network keeps from the forward pass for the backward pass. */
export type NetworkLayerCache =
  | { kind: 'conv'; cache: Conv2dCache | unknown }
  | { kind: 'maxpool'; cache: MaxPool2dCache | unknown }
  | { kind: 'relu'; cache: ReluCache | unknown }
  | { kind: 'tanh'; out: Tensor }
  | { kind: 'dropout'; mask: Float64Array | null }
  | { kind: 'flatten'; shape: readonly number[] }
  | { kind: 'affine'; cache: AffineCache | unknown };

/** Per-layer caches of a forward pass, consumed by {@link networkBackward}. */
export interface NetworkCache {
  readonly layers: readonly NetworkLayerCache[];
}

/** Options of {@link networkForward}. */
export interface ForwardOptions {
  /** Training mode: dropout is applied (inverted dropout). Default false. */
  readonly train?: boolean;
  /** Random numbers for dropout masks; required when training a net with dropout. */
  readonly rng?: Rng;
  /** Keep the output of every layer, for feature-map pictures. Default false. */
  readonly keepActivations?: boolean;
  /**
   * Dropout masks drawn beforehand by {@link drawDropoutMasks}, one per dropout layer with
   * `p > 0` in layer order, each `N * features` long; used instead of drawing from `rng`
   * (training splits a batch across threads and draws the masks once, on the main thread).
   */
  readonly dropoutMasks?: readonly Float64Array[];
}

/**
 * Draws the inverted-dropout masks of a training forward pass on a batch of `n` examples:
 * one mask per dropout layer with `p > 0`, in layer order, each of `n * features` entries
 * equal to `1 / (1 - p)` (kept) or 0 (dropped). Takes from `rng` exactly the numbers a
 * training {@link networkForward} without masks would take, in the same order, so passing
 * the result as `dropoutMasks` gives the same pass.
 *
 * @param n - examples in the batch, >= 0
 * @returns the masks; empty when the network has no dropout
 * @throws ValueError if `n` is not a non-negative integer
 */
export function drawDropoutMasks(net: Network, n: number, rng: Rng): Float64Array[] {
  if (!Number.isInteger(n) || n < 0) throw new ValueError('drawDropoutMasks', `n must be an integer >= 0, got ${n}`);
  const masks: Float64Array[] = [];
  for (const layer of net.info.layers) {
    const s = layer.spec;
    if (s.type !== 'dropout' || !(s.p > 0)) continue;
    const keep = 1 - s.p;
    const features = layer.inputShape.reduce((a, b) => a * b, 1);
    const mask = new Float64Array(n * features);
    for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < keep ? 1 / keep : 0;
    masks.push(mask);
  }
  return masks;
}

/**
 * Forward pass of a whole network on a batch.
 *
 * @param x - a batch `[N, ...inputShape]`, e.g. `[N, 1, 32, 32]` for LeNet-5
 * @returns `out` (scores `[N, classes]` for a classifier), the caches for the backward pass,
 *   and, with `keepActivations`, every layer's output
 * @throws ShapeError if `x` is not `[N, ...inputShape]`
 */
export function networkForward(net: Network, x: Tensor, opts: ForwardOptions = {}): { out: Tensor; cache: NetworkCache; activations?: Tensor[] } {
  checkOptions('networkForward', 'opts', opts, ['train', 'rng', 'keepActivations', 'dropoutMasks']);
  const want = net.spec.inputShape;
  if (!(x instanceof Tensor) || x.ndim !== want.length + 1 || want.some((d, i) => x.shape[i + 1] !== d)) {
    throw new ShapeError(net.spec.name, `input must be [N, ${want.join(', ')}], got ${x instanceof Tensor ? formatShape(x.shape) : typeof x}`);
  }
  const ops = opsOf(net);
  let h = x;
  const caches: NetworkLayerCache[] = [];
  const activations: Tensor[] = [];
  let maskIndex = 0;
  for (const layer of net.info.layers) {
    const s: LayerSpec = layer.spec;
    const p = (k: string): Tensor => net.params[`${layer.name}.${k}`];
    switch (s.type) {
      case 'conv': {
        const r = ops.conv2dForward(h, p('w'), p('b'), { stride: s.stride ?? 1, pad: s.pad ?? 0 });
        caches.push({ kind: 'conv', cache: r.cache });
        h = r.out;
        break;
      }
      case 'maxpool': {
        const r = ops.maxPool2dForward(h, { kernel: s.kernel, stride: s.stride ?? s.kernel, pad: s.pad ?? 0 });
        caches.push({ kind: 'maxpool', cache: r.cache });
        h = r.out;
        break;
      }
      case 'relu': {
        const r = ops.reluForward(h);
        caches.push({ kind: 'relu', cache: r.cache });
        h = r.out;
        break;
      }
      case 'tanh': {
        h = h.map(Math.tanh);
        caches.push({ kind: 'tanh', out: h });
        break;
      }
      case 'dropout': {
        if (opts.train && s.p > 0) {
          let mask: Float64Array;
          if (opts.dropoutMasks) {
            const given = opts.dropoutMasks[maskIndex++];
            if (!given || given.length !== h.size) {
              throw new ShapeError(net.spec.name, `dropoutMasks[${maskIndex - 1}] must have ${h.size} entries for layer ${layer.name} on ${formatShape(h.shape)}, got ${given ? given.length : 'none'}`);
            }
            mask = given;
          } else {
            if (!opts.rng) throw new ValueError(net.spec.name, 'training with dropout needs an rng');
            const keep = 1 - s.p;
            mask = new Float64Array(h.size);
            for (let i = 0; i < mask.length; i++) mask[i] = opts.rng.next() < keep ? 1 / keep : 0;
          }
          const m = mask;
          h = h.map((v, i) => v * m[i]);
          caches.push({ kind: 'dropout', mask });
        } else {
          caches.push({ kind: 'dropout', mask: null });
        }
        break;
      }
      case 'flatten': {
        caches.push({ kind: 'flatten', shape: h.shape });
        h = h.reshape([h.shape[0], -1]);
        break;
      }
      case 'affine': {
        const r = ops.affineForward(h, p('w'), p('b'));
        caches.push({ kind: 'affine', cache: r.cache });
        h = r.out;
        break;
      }
      default:
        checkRunnable(net.spec.name, layer.name, s);
    }
    if (opts.keepActivations) activations.push(h);
  }
  return { out: h, cache: { layers: caches }, ...(opts.keepActivations ? { activations } : {}) };
}

/**
 * Backward pass of a whole network: from the gradient of the loss with respect to the
 * output, the gradients of every parameter (keyed like {@link Network.params}) and of the input.
 *
 * @param frozen - names of parameters whose gradients are not needed (transfer learning);
 *   they are left out of `grads`, and the pass stops early once no earlier layer needs one
 */
export function networkBackward(net: Network, dout: Tensor, cache: NetworkCache, frozen: ReadonlySet<string> = new Set()): { grads: ParamDict; dx: Tensor | null } {
  const ops = opsOf(net);
  const grads: ParamDict = {};
  const layers = net.info.layers;
  // The first layer that still needs a gradient: below it nothing has to be computed.
  let firstTrainable = layers.length;
  for (let i = 0; i < layers.length; i++) {
    if ((layers[i].spec.type === 'conv' || layers[i].spec.type === 'affine') && !frozen.has(`${layers[i].name}.w`)) {
      firstTrainable = i;
      break;
    }
  }
  const stopAt = frozen.size > 0 ? firstTrainable : 0;
  let d = dout;
  for (let i = layers.length - 1; i >= stopAt; i--) {
    const name = layers[i].name;
    const c = cache.layers[i];
    switch (c.kind) {
      case 'conv': {
        const g = ops.conv2dBackward(d, c.cache as never);
        if (!frozen.has(`${name}.w`)) grads[`${name}.w`] = g.dw;
        if (!frozen.has(`${name}.b`)) grads[`${name}.b`] = g.db;
        d = g.dx;
        break;
      }
      case 'affine': {
        const g = ops.affineBackward(d, c.cache as never);
        if (!frozen.has(`${name}.w`)) grads[`${name}.w`] = g.dw;
        if (!frozen.has(`${name}.b`)) grads[`${name}.b`] = g.db;
        d = g.dx;
        break;
      }
      case 'maxpool':
        d = ops.maxPool2dBackward(d, c.cache as never).dx;
        break;
      case 'relu':
        d = ops.reluBackward(d, c.cache as never).dx;
        break;
      case 'tanh': {
        const out = c.out;
        d = d.map((v, k) => v * (1 - out.data[k] * out.data[k]));
        break;
      }
      case 'dropout': {
        const mask = c.mask;
        if (mask) d = d.map((v, k) => v * mask[k]);
        break;
      }
      case 'flatten':
        d = d.reshape(c.shape);
        break;
    }
  }
  return { grads, dx: stopAt === 0 ? d : null };
}
