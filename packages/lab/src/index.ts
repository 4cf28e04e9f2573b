/**
 * `@dlkata/lab`: the real runs built on the reference packages (`@dlkata/tensor`,
 * `@dlkata/layers`, `@dlkata/rnn`), which never import this package.
 *
 * - command lines: `pnpm train <run>` (`cli/train.ts`, a table of runs: `lenet`, `fcn`,
 *   `transfer`, `charlm`, `seqmnist`, `translate`, `caption`), `pnpm run depth`, `pnpm run longterm`
 * - data sets: {@link segmentationDigitsSplit} (MNIST digits on a canvas, per-pixel labels), the
 *   bundled text of {@link CORPUS_FILE}, the recall task {@link recallBatch}, MNIST row by row
 *   ({@link mnistRows}), English and German number words ({@link germanWord}), captioned digit
 *   canvases ({@link makeCanvases})
 * - training loops: {@link runDepth}, {@link runFcn}, {@link runTransfer}, {@link runLongterm},
 *   {@link trainCharLm}, {@link trainClassifier}, {@link runSeqMnist}, {@link runTranslate},
 *   {@link runCaption}
 * - figures: {@link renderSvg} (Vega-Lite to SVG without a browser) and the specs of the runs'
 *   plots; `pnpm figures` (`figures/figures.ts`) makes the guides' figures
 *
 * @packageDocumentation
 */
export * from './plot.js';
export * from './data/segmentation-digits.js';
export * from './tasks/recall.js';
export * from './tasks/classifier.js';
export * from './tasks/longterm.js';
export * from './tasks/charlm.js';
export * from './tasks/plots.js';
export { runDepth, createStack, stackForward, stackBackward, lossAndGrads, evaluateStack, downsample, formatDepthTable, depthPlotSpec } from './cli/depth.js';
export type { StackKind, DepthInit, StackOptions, DepthStack, StackCache, DepthOptions, DepthRow, DepthProgress, DepthOps } from './cli/depth.js';
export { createFcn, fcnForward, fcnBackward, evaluateFcn, maskGridSvg, runFcn, DEFAULT_FCN_CHANNELS, CLASS_PALETTE } from './cli/fcn.js';
export type { FcnConfig, FcnCache, FcnOps, StageCache, FcnEvaluation, MaskExample, FcnRunOptions, FcnRunResult } from './cli/fcn.js';
export { runTransfer, freezeLayers, withNewHead, firstPerClass, SOURCE_DIGITS, TARGET_DIGITS } from './cli/transfer.js';
export type { TransferRunOptions, TransferRun, TransferRunResult } from './cli/transfer.js';
export * from './data/number-words.js';
export * from './tasks/seqmnist.js';
export * from './tasks/translate.js';
export * from './tasks/caption.js';
export type { Impl, Fwd } from './mine/adapters.js';
export type { GroupName, GroupSource, MineRecord } from './mine/mine.js';
