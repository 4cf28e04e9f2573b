/**
 * Exercise 08: transfer learning. Take a network trained on one task, keep its early layers
 * FROZEN, give it a new classifier head for the C classes of a new task, and train the rest.
 *
 * Parameters live in a dictionary keyed `<layer>.<name>` (`"fc1.w"`, `"fc1.b"`), as in the
 * library's networks (`@dlkata/layers`' `createNetwork`) and PyTorch's `state_dict()`. The
 * functions here take and return plain dictionaries of tensors and lists of names, so they work
 * for any network; the tests use small multi-layer perceptrons, and `pnpm train transfer`
 * applies the same rules to LeNet-5.
 *
 * @module
 */
import { assertNdim, assertShape, formatShape, NotImplementedError, Rng, ShapeError, Tensor, ValueError } from '@dlkata/tensor';

/** Parameters (or gradients) by name: `"fc1.w"`, `"fc1.b"`, ... */
export type ParamDict = Record<string, Tensor>;

/** The layer a parameter belongs to: `"fc1"` for `"fc1.w"` (everything before the last dot). */
export function layerOf(paramName: string): string {
  const dot = paramName.lastIndexOf('.');
  return dot < 0 ? paramName : paramName.slice(0, dot);
}

/**
 * The names of the parameters to freeze: every parameter of the given layers, in the order of
 * `params`' keys.
 *
 * @param params - the network's parameters, keyed `<layer>.<name>`
 * @param layers - layer names, e.g. `["conv1", "conv2"]`
 * @returns parameter names, e.g. `["conv1.w", "conv1.b", "conv2.w", "conv2.b"]`
 * @throws ValueError if a layer has no parameter in `params` (a typo would otherwise freeze
 *   nothing, silently): `"freeze: layer conv3 has no parameters; the layers are conv1, conv2, fc1"`
 * @example
 * ```ts
 * freeze({ 'fc1.w': w1, 'fc1.b': b1, 'fc2.w': w2, 'fc2.b': b2 }, ['fc1']); // ['fc1.w', 'fc1.b']
 * ```
 */
export function freeze(params: ParamDict, layers: readonly string[]): string[] {
  throw new NotImplementedError('freeze: the names of the parameters owned by the given layers (see layerOf), in the order of params\' keys; a layer that owns none throws ValueError (read: exercises/08-transfer-learning/README.md, "Task 1: freeze"; guide: docs/site/documents/08-transfer-learning.html#task-1-freeze; tests: pnpm test 08 -t freeze)');
}

/**
 * Counts the numbers a network learns: all of its parameters' elements, and those not frozen.
 *
 * @param params - the network's parameters
 * @param frozen - names of frozen parameters (e.g. from {@link freeze})
 * @returns `total` elements of all parameters, and `trainable`, the elements of those not in `frozen`
 * @example
 * ```ts
 * countParams({ 'fc1.w': Tensor.zeros([4, 3]), 'fc1.b': Tensor.zeros([3]) }, ['fc1.w']); // { total: 15, trainable: 3 }
 * ```
 */
export function countParams(params: ParamDict, frozen: readonly string[]): { total: number; trainable: number } {
  throw new NotImplementedError('countParams: how many parameter values there are in total and how many will be trained (not frozen) (read: exercises/08-transfer-learning/README.md, "Task 2: countParams"; guide: docs/site/documents/08-transfer-learning.html#task-2-countparams; tests: pnpm test 08 -t countParams)');
}

/** Options of {@link sgdStep}. */
export interface SgdOptions {
  /** Learning rate, `> 0`. */
  lr: number;
  /** Momentum in `[0, 1)`; 0 is plain gradient descent. */
  momentum: number;
}

/**
 * One step of stochastic gradient descent with momentum (PyTorch's `torch.optim.SGD` form) that
 * leaves frozen parameters alone:
 *
 * `v = momentum * v + g`, `p = p - lr * v` for every parameter that has a gradient and is not
 * frozen (a parameter's velocity starts at 0: `v = g` on its first step).
 *
 * A frozen parameter, and a parameter without a gradient, keeps its value and gets no velocity,
 * even if `grads` has an entry for it: freezing is the optimiser's promise, whatever the
 * backward pass computed.
 *
 * @param params - current parameters (not modified)
 * @param grads - gradients keyed like the parameters; may miss some names (not modified)
 * @param velocity - velocities from the previous step, keyed like the parameters; `{}` at the start (not modified)
 * @param opts - learning rate and momentum
 * @param frozen - names of parameters that must not change
 * @returns new dictionaries: `params` with every name of the input (a frozen or gradient-less
 *   parameter is the same tensor), and `velocity` with an entry for each parameter updated so far
 * @throws ShapeError if a gradient's shape differs from its parameter's; ValueError for a
 *   gradient of an unknown parameter, a learning rate `<= 0` or a momentum outside `[0, 1)`
 * @see the lecture, item 12 (transfer learning: frozen layers are not trained); PyTorch
 *   `torch.optim.SGD` (parameters with `requires_grad=False` get no update)
 * @example
 * ```ts
 * const { params } = sgdStep({ 'fc1.w': w, 'fc2.w': v }, { 'fc1.w': gw, 'fc2.w': gv }, {}, { lr: 0.1, momentum: 0.9 }, ['fc1.w']);
 * // params['fc1.w'] === w (frozen); params['fc2.w'] = v - 0.1 * gv
 * ```
 */
export function sgdStep(
  params: ParamDict,
  grads: ParamDict,
  velocity: ParamDict,
  opts: SgdOptions,
  frozen: readonly string[],
): { params: ParamDict; velocity: ParamDict } {
  const { lr, momentum } = opts;
  if (!(lr > 0) || !Number.isFinite(lr)) throw new ValueError('sgdStep', `lr must be a positive number, got ${lr}`);
  if (!(momentum >= 0 && momentum < 1)) throw new ValueError('sgdStep', `momentum must be in [0, 1), got ${momentum}`);
  for (const [name, g] of Object.entries(grads)) {
    const p = params[name];
    if (!p) throw new ValueError('sgdStep', `gradient for unknown parameter ${name}`);
    if (g.size !== p.size) throw new ShapeError('sgdStep', `gradient of ${name} has shape ${formatShape(g.shape)}, the parameter ${formatShape(p.shape)}`);
  }
  throw new NotImplementedError('sgdStep: new params and velocity after one step of SGD with momentum (README "The math") for every parameter that has a gradient and is not frozen; all others unchanged, and the inputs not modified (read: exercises/08-transfer-learning/README.md, "Task 3: sgdStep"; guide: docs/site/documents/08-transfer-learning.html#task-3-sgdstep; tests: pnpm test 08 -t sgdStep)');
}

/**
 * Replaces a network's classifier head for a new task with `classes` classes: the affine
 * layer `head` (weights `[D, C_old]`, biases `[C_old]`) becomes a fresh layer with weights
 * `[D, classes]` and biases `[classes]`, keeping its input size D. The new weights are drawn
 * as the library's `createNetwork` draws an affine layer (He initialisation):
 * `new Rng(seed).randn([D, classes], Math.sqrt(2 / D))`; the new biases are 0.
 *
 * Every other parameter is kept, the very same tensor (the features to transfer), in the
 * same key order.
 *
 * @param params - the trained network's parameters (not modified)
 * @param head - the name of the last affine layer, e.g. `"fc3"` for LeNet-5
 * @param classes - the new number of classes, an integer `>= 1`
 * @param seed - seed of the new weights
 * @returns a new dictionary with `<head>.w` `[D, classes]` and `<head>.b` `[classes]`
 * @throws ValueError if `params` has no `<head>.w` or `classes` is not an integer `>= 1`;
 *   ShapeError if `<head>.w` is not 2-D
 * @see the lecture, item 12: a new data set with C classes; Donahue et al. 2014 (DeCAF),
 *   Razavian et al. 2014 ("CNN features off-the-shelf")
 * @example
 * ```ts
 * const p = replaceHead(lenetParams, 'fc3', 5, 0);
 * p['fc3.w'].shape; // [84, 5]: LeNet-5's 10-way head, now 5-way
 * ```
 */
export function replaceHead(params: ParamDict, head: string, classes: number, seed: number): ParamDict {
  const old = params[`${head}.w`];
  if (!old) throw new ValueError('replaceHead', `there is no parameter ${head}.w; the parameters are ${Object.keys(params).join(', ')}`);
  assertNdim('replaceHead', `${head}.w`, old, 2, '[D, C]');
  if (!Number.isInteger(classes) || classes < 1) throw new ValueError('replaceHead', `classes must be an integer >= 1, got ${classes}`);
  throw new NotImplementedError('replaceHead: a copy of params in which the layer `head` maps its D inputs to `classes` outputs: new weights [D, classes] drawn from Rng(seed) with He\'s std sqrt(2 / D), and zero biases [classes] (read: exercises/08-transfer-learning/README.md, "Task 4: replaceHead"; guide: docs/site/documents/08-transfer-learning.html#task-4-replacehead; tests: pnpm test 08 -t replaceHead)');
}

// ---------------------------------------------------------------------------------------------
// A small multi-layer perceptron to try the rules on (given: the layers' forward and backward
// passes are those of the library, written out so the exercise is self-contained).

/** One layer of a multi-layer perceptron: an affine layer with a name (its parameters are `<name>.w` `[D, M]` and `<name>.b` `[M]`), or a ReLU. */
export type MlpLayer = { readonly type: 'affine'; readonly name: string } | { readonly type: 'relu' };

/** One layer's cache: its input (and, for an affine layer, its name). */
type MlpLayerCache = { readonly type: 'affine'; readonly name: string; readonly x: Tensor; readonly w: Tensor } | { readonly type: 'relu'; readonly x: Tensor };

/** What {@link mlpBackward} needs from {@link mlpForward}. Opaque: pass it on unchanged. */
export interface MlpCache {
  readonly layers: readonly MlpLayerCache[];
}

/** `out = x w + b` for `x [N, D]`, `w [D, M]`, `b [M]`. */
function affine(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const [N, D] = x.shape;
  const M = w.shape[1];
  const out = Tensor.zeros([N, M]);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      let s = b.data[m];
      for (let d = 0; d < D; d++) s += x.data[n * D + d] * w.data[d * M + m];
      out.data[n * M + m] = s;
    }
  }
  return out;
}

/**
 * Gradients of an affine layer `out = x w + b`: `dx = dout w^T`, `dw = x^T dout`,
 * `db = sum over n of dout`. Given; call it from {@link mlpBackward}.
 *
 * @param dout - `[N, M]`
 * @param x - the layer's input `[N, D]`
 * @param w - its weights `[D, M]`
 * @param needParams - compute `dw` and `db` (false for a frozen layer: they are left out)
 * @returns `dx` `[N, D]`, and `dw` `[D, M]`, `db` `[M]` when `needParams`
 */
export function affineBackward(dout: Tensor, x: Tensor, w: Tensor, needParams = true): { dx: Tensor; dw?: Tensor; db?: Tensor } {
  const [N, D] = x.shape;
  const M = w.shape[1];
  const dx = Tensor.zeros([N, D]);
  for (let n = 0; n < N; n++) {
    for (let d = 0; d < D; d++) {
      let s = 0;
      for (let m = 0; m < M; m++) s += dout.data[n * M + m] * w.data[d * M + m];
      dx.data[n * D + d] = s;
    }
  }
  if (!needParams) return { dx };
  const dw = Tensor.zeros([D, M]);
  const db = Tensor.zeros([M]);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = dout.data[n * M + m];
      db.data[m] += g;
      for (let d = 0; d < D; d++) dw.data[d * M + m] += x.data[n * D + d] * g;
    }
  }
  return { dx, dw, db };
}

/** Gradient of a ReLU: `dout` where its input `x > 0`, else 0. Given; call it from {@link mlpBackward}. */
export function reluBackward(dout: Tensor, x: Tensor): Tensor {
  return dout.map((g, i) => (x.data[i] > 0 ? g : 0));
}

/**
 * Forward pass of a multi-layer perceptron. Given.
 *
 * Dimensions: N batch, D input features.
 *
 * @param layers - the layers in order; affine layers read `<name>.w` and `<name>.b` from `params`
 * @param params - the parameters
 * @param x - input, `[N, D]`
 * @returns `out` `[N, M]` of the last layer and the `cache` for {@link mlpBackward}
 * @throws ShapeError if `x` is not 2-D or a weight does not fit its input; ValueError for a missing parameter
 */
export function mlpForward(layers: readonly MlpLayer[], params: ParamDict, x: Tensor): { out: Tensor; cache: MlpCache } {
  assertNdim('mlpForward', 'x', x, 2, '[N, D]');
  const caches: MlpLayerCache[] = [];
  let h = x;
  for (const layer of layers) {
    if (layer.type === 'relu') {
      caches.push({ type: 'relu', x: h });
      h = h.map((v) => (v > 0 ? v : 0));
      continue;
    }
    const w = params[`${layer.name}.w`];
    const b = params[`${layer.name}.b`];
    if (!w || !b) throw new ValueError('mlpForward', `layer ${layer.name} needs parameters ${layer.name}.w and ${layer.name}.b`);
    assertNdim('mlpForward', `${layer.name}.w`, w, 2, '[D, M]');
    if (w.shape[0] !== h.shape[1]) throw new ShapeError('mlpForward', `${layer.name}.w ${formatShape(w.shape)} does not fit its input ${formatShape(h.shape)}`);
    assertShape('mlpForward', `${layer.name}.b`, b, [w.shape[1]]);
    caches.push({ type: 'affine', name: layer.name, x: h, w });
    h = affine(h, w, b);
  }
  return { out: h, cache: { layers: caches } };
}

/**
 * Backward pass of a multi-layer perceptron with frozen parameters: gradients only where they
 * are needed, and no work below the last layer that needs one.
 *
 * Walk the layers from the top (the output) down, passing the gradient `d` (starting at
 * `dout`) through each layer with the given {@link affineBackward} and {@link reluBackward}:
 *
 * - an affine layer whose weights `<name>.w` are frozen passes the gradient on (if a layer
 *   below still needs it) but contributes no `dw`, `db`: `grads` has no entry for it;
 * - a trainable affine layer puts `<name>.w` and `<name>.b` into `grads`;
 * - the pass ends after the LOWEST affine layer that is trainable: below it no parameter needs
 *   a gradient, so nothing below is computed. `dx` (the gradient of the input) is returned only
 *   when that layer is the first layer, otherwise `dx` is null. With every layer frozen,
 *   `grads` is empty and `dx` null.
 *
 * A frozen layer between two trainable ones must still pass the gradient through: the layers
 * below it need it.
 *
 * @param layers - the layers, as given to {@link mlpForward}
 * @param cache - the `cache` returned by {@link mlpForward}
 * @param dout - gradient of the loss with respect to the output, `[N, M]`
 * @param frozen - names of frozen parameters (e.g. from {@link freeze})
 * @returns `grads` keyed like the trainable parameters, and `dx` `[N, D]` or null
 * @see the library's `networkBackward(net, dout, cache, frozen)`, which does the same for any
 *   sequential network (LeNet-5 in `pnpm train transfer`); PyTorch skips gradients of
 *   parameters with `requires_grad=False` the same way
 */
export function mlpBackward(layers: readonly MlpLayer[], cache: MlpCache, dout: Tensor, frozen: readonly string[]): { grads: ParamDict; dx: Tensor | null } {
  if (cache.layers.length !== layers.length) throw new ValueError('mlpBackward', `the cache has ${cache.layers.length} layers, the network ${layers.length}`);
  throw new NotImplementedError('mlpBackward: from dout and the forward cache, the gradients of the weights and biases that are not frozen, and dx only if layer 0 trains (else null); nothing is computed below the lowest trainable layer (read: exercises/08-transfer-learning/README.md, "Task 5: mlpBackward"; guide: docs/site/documents/08-transfer-learning.html#task-5-mlpbackward; tests: pnpm test 08 -t mlpBackward)');
}
