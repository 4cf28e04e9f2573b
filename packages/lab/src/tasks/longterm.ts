/**
 * The long-term dependency experiment: a vanilla RNN and an LSTM of the same hidden size learn
 * "recall the first symbol" ({@link recallBatch}) for several sequence lengths T, with the same
 * training budget, the same seed and the same data; accuracy on held-out sequences shows at
 * which T each one fails. The gradient reaching each time step, `||dL/dh_t||`, shows why.
 *
 * @module
 */
import { Rng } from '@dlkata/tensor';
import { createClassifier, evaluateClassifier, hiddenStateGradientNorms, trainClassifier, type Cell } from './classifier.js';
import { recallBatch, recallFeatures, type RecallTask } from './recall.js';

/** Options of {@link runLongterm}. */
export interface LongtermOptions {
  /** Sequence lengths T to try. */
  readonly lengths: readonly number[];
  /** Hidden units H of both models. */
  readonly hidden: number;
  /** Alphabet size K (chance accuracy is 1/K). */
  readonly symbols: number;
  /** Optimiser steps per model and length (the budget). */
  readonly steps: number;
  /** Sequences per step. */
  readonly batch: number;
  /** Adam's learning rate. */
  readonly lr: number;
  /** Largest global gradient norm (`clipGradNorm`). */
  readonly clip: number;
  /**
   * Initial forget-gate bias of the LSTM. The package default 1 keeps `f ~ 0.73`, and
   * `0.73^39 ~ 5e-6` of the cell survives 39 steps; 3 gives `f ~ 0.95`, `0.95^39 ~ 0.13`:
   * the cell starts out remembering (the lecture, item 21).
   */
  readonly forgetBias: number;
  /** Held-out sequences for the accuracy. */
  readonly testSize: number;
  /** Seed of the weights (the same for both models) and of the data. */
  readonly seed: number;
  /** Cells to train, default both. */
  readonly cells?: readonly Cell[];
  /** Called after every optimiser step. */
  readonly onStep?: (T: number, cell: Cell, step: number, loss: number) => void;
  /** Called when a model starts training. */
  readonly onStart?: (T: number, cell: Cell) => void;
}

/** The outcome of one model at one length. */
export interface LongtermResult {
  readonly T: number;
  readonly cell: Cell;
  /** Held-out accuracy in `[0, 1]`. */
  readonly accuracy: number;
  /** Held-out loss, nats. */
  readonly loss: number;
  /** `||dL/dh_t||` for `t = 0 .. T-1` on the held-out batch, before training. */
  readonly gradNormsInitial: readonly number[];
  /** The same after training. */
  readonly gradNormsTrained: readonly number[];
  /** Training losses, one per step. */
  readonly losses: readonly number[];
  /** Seconds of training. */
  readonly seconds: number;
}

/**
 * Trains and evaluates every cell at every length: for each T, both models start from weights
 * drawn with `seed`, see the same training batches (drawn with `seed + 1`) and are tested on
 * the same held-out batch (drawn with `seed + 2`).
 *
 * @returns one {@link LongtermResult} per length and cell, lengths in the given order, RNN first
 */
export function runLongterm(o: LongtermOptions): LongtermResult[] {
  const results: LongtermResult[] = [];
  for (const T of o.lengths) {
    const task: RecallTask = { T, symbols: o.symbols };
    const test = recallBatch(task, o.testSize, new Rng(o.seed + 2));
    for (const cell of o.cells ?? (['rnn', 'lstm'] as const)) {
      o.onStart?.(T, cell);
      const model = createClassifier(cell, recallFeatures(task), o.hidden, o.symbols, new Rng(o.seed), { forgetBias: o.forgetBias });
      const gradNormsInitial = hiddenStateGradientNorms(model, test.x, test.y);
      const data = new Rng(o.seed + 1);
      const t0 = performance.now();
      const losses = trainClassifier(model, {
        steps: o.steps,
        lr: o.lr,
        clip: o.clip,
        batch: () => recallBatch(task, o.batch, data),
        onStep: (s, loss) => o.onStep?.(T, cell, s, loss),
      });
      const seconds = (performance.now() - t0) / 1000;
      const ev = evaluateClassifier(model, test.x, test.y);
      results.push({ T, cell, accuracy: ev.accuracy, loss: ev.loss, gradNormsInitial, gradNormsTrained: hiddenStateGradientNorms(model, test.x, test.y), losses, seconds });
    }
  }
  return results;
}
