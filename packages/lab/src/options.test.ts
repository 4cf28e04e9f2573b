/**
 * Every public function of the four packages that takes an options object (layer parameters,
 * model specs, optimiser and training options) rejects a key it does not know, naming it and
 * the accepted ones. The test enumerates each package's exports: a new exported function must
 * be listed either with a call that feeds it an unknown key, or as taking no options object,
 * so nothing new can slip through unchecked.
 */
import { describe, expect, it } from 'vitest';
import * as T from '@dlkata/tensor';
import * as L from '@dlkata/layers';
import * as R from '@dlkata/rnn';
import * as B from './index.js';

const { Rng, Tensor } = T;
const rng = (): InstanceType<typeof Rng> => new Rng(0);
const X = (): InstanceType<typeof Tensor> => rng().randn([1, 2, 6, 6]);
/** The key no function knows. */
const BOGUS = { bogusOption: 1 };
const inc = { c1: 2, c3reduce: 2, c3: 2, c5reduce: 2, c5: 2, poolProj: 2 };
const net = () => L.createNetwork(L.lenet5(), rng());
const res = () => L.initResidualBlockParams(2, 2, rng());
const capSize = { filters: [2, 2], hidden: 3, embed: 2 } as const;
/** A captioner's decoder keys (the CNN's are ignored by the rnn functions) and a feature batch for it. */
const cap = () => ({
  params: Object.fromEntries(Object.entries(B.createCaptioner(capSize, rng())).filter(([k]) => !k.startsWith('conv'))),
  features: rng().randn([2, B.featureCount(capSize)]),
});
const decode = { start: 1, end: 2, nullId: 0, maxLength: 3 };
const translator = () => B.createTranslator(1, 3, 2, rng());
const lstmLayer = () => {
  const p = R.lstmInitParams(2, 3, rng());
  return { Wx: p.Wx, Wh: p.Wh, b: p.b };
};

/** package -> function name -> a call with one unknown key added to its options object. */
const TAKES_OPTIONS: Record<string, Record<string, () => unknown>> = {
  tensor: {
    computeConv2DInfo: () => T.computeConv2DInfo('conv2d', [1, 2, 6, 6], [3, 2, 3, 3], { stride: 1, ...BOGUS }),
    computePool2DInfo: () => T.computePool2DInfo('maxPool2d', [1, 2, 6, 6], { kernel: 2, ...BOGUS }),
    compareTensors: () => T.compareTensors('t', Tensor.zeros([2]), Tensor.zeros([2]), { tol: 1e-6, ...BOGUS }),
    checkOptions: () => T.checkOptions('op', 'opts', { a: 1, ...BOGUS }, ['a']),
    formatTensor: () => T.formatTensor(Tensor.zeros([2]), { precision: 3, ...BOGUS }),
    gemm: () => T.gemm(1, 1, 1, new Float64Array(1), 0, new Float64Array(1), 0, new Float64Array(1), 0, { transA: true, ...BOGUS }),
    gemmPackedB: () => T.gemmPackedB(1, 1, 1, new Float64Array(1), 0, () => {}, new Float64Array(1), 0, { accumulate: true, ...BOGUS }),
  },
  layers: {
    conv2dForward: () => L.conv2dForward(X(), rng().randn([3, 2, 3, 3]), Tensor.zeros([3]), { pad: 1, ...BOGUS }),
    maxPool2dForward: () => L.maxPool2dForward(X(), { kernel: 2, ...BOGUS }),
    convTranspose2dForward: () => L.convTranspose2dForward(X(), rng().randn([2, 3, 2, 2]), Tensor.zeros([3]), { stride: 2, ...BOGUS } as L.ConvTranspose2DParams),
    computeConvTranspose2DInfo: () => L.computeConvTranspose2DInfo('t', [1, 2, 6, 6], [2, 3, 2, 2], { stride: 1, ...BOGUS }),
    residualBlockForward: () => L.residualBlockForward(X(), res(), { stride: 1, ...BOGUS }),
    initResidualBlockParams: () => L.initResidualBlockParams(2, 2, rng(), { stride: 1, ...BOGUS }),
    inceptionForward: () => L.inceptionForward(X(), L.initInceptionParams(2, inc, rng()), { ...inc, ...BOGUS }),
    inceptionParamShapes: () => L.inceptionParamShapes(2, { ...inc, ...BOGUS }),
    inceptionChannels: () => L.inceptionChannels({ ...inc, ...BOGUS }),
    inceptionMultiplies: () => L.inceptionMultiplies([2, 6, 6], { ...inc, ...BOGUS }),
    initInceptionParams: () => L.initInceptionParams(2, { ...inc, ...BOGUS }, rng()),
    layerInfo: () => L.layerInfo({ type: 'conv', filters: 2, kernel: 3, ...BOGUS } as L.LayerSpec, [2, 6, 6]),
    analyze: () => L.analyze({ ...L.lenet5(), ...BOGUS }),
    summary: () => L.summary({ ...L.resnet(18), layers: [{ type: 'batchnorm', ...BOGUS } as L.LayerSpec] }),
    createNetwork: () => L.createNetwork({ ...L.lenet5(), layers: [{ type: 'flatten', ...BOGUS } as L.LayerSpec] }, rng()),
    networkForward: () => L.networkForward(net(), rng().randn([1, 1, 32, 32]), { train: false, ...BOGUS }),
    trainEpoch: () => L.trainEpoch(net(), L.mnistSplit({ seed: 0, perClass: 2, pad: 2 }).train, new L.Adam({ lr: 1e-3 }), { batchSize: 4, rng: rng(), ...BOGUS }),
    mnistSplit: () => L.mnistSplit({ seed: 0, ...BOGUS }),
    Sgd: () => new L.Sgd({ lr: 0.1, ...BOGUS }),
    Adam: () => new L.Adam({ lr: 0.1, ...BOGUS }),
  },
  rnn: {
    lstmInitParams: () => R.lstmInitParams(2, 3, rng(), { forgetBias: 1, ...BOGUS }),
    truncatedBptt: () =>
      R.truncatedBptt(rng().randn([1, 4, 2]), R.rnnInitParams(2, 3, rng()), { cell: 'rnn', k: 2, chunkLoss: (h) => ({ loss: 0, dh: Tensor.zeros(h.shape) }), ...BOGUS }),
    gradientRegimes: () => R.gradientRegimes({ T: 4, ...BOGUS }),
    stackedForward: () => R.stackedForward('lstm', rng().randn([1, 2, 2]), [lstmLayer()], { h0: [Tensor.zeros([1, 3])], ...BOGUS }),
    stackedBackward: () => {
      const f = R.stackedForward('lstm', rng().randn([1, 2, 2]), [lstmLayer()]);
      return R.stackedBackward(Tensor.zeros([1, 2, 3]), f.cache, { dhT: [Tensor.zeros([1, 3])], ...BOGUS });
    },
    manyToOneScores: () => R.manyToOneScores(rng().randn([2, 3, 2]), B.createSequenceClassifier('lstm', 2, 3, 4, rng()), { pool: 'mean', ...BOGUS }),
    manyToOneLoss: () => R.manyToOneLoss(rng().randn([2, 3, 2]), B.createSequenceClassifier('lstm', 2, 3, 4, rng()), [0, 1], { pool: 'last', ...BOGUS }),
    captionLoss: () => {
      const c = cap();
      return R.captionLoss(c.features, [B.captionIds([1]), B.captionIds([2, 3])], c.params, { nullId: 0, ...BOGUS });
    },
    captionGreedy: () => {
      const c = cap();
      return R.captionGreedy(c.features, c.params, { ...decode, ...BOGUS });
    },
    captionSample: () => {
      const c = cap();
      return R.captionSample(c.features, c.params, { ...decode, temperature: 1, uniforms: Tensor.zeros([2, 3]), ...BOGUS } as R.SampleOptions);
    },
    seq2seqLoss: () => R.seq2seqLoss([B.sourceIds(12)], [B.targetIds(12)], translator(), { nullId: 0, ...BOGUS }),
    seq2seqGreedy: () => R.seq2seqGreedy([B.sourceIds(12)], translator(), { ...decode, ...BOGUS }),
  },
  lab: {
    createStack: () => B.createStack('plain', 2, { channels: 2, size: 7, classes: 10, init: 'he', seed: 0, ...BOGUS }),
    runDepth: () => B.runDepth({ depths: [2], steps: 1, images: 20, batch: 2, gradBatch: 2, channels: 2, size: 7, optimizer: 'adam', lr: 1e-3, init: 'he', seed: 0, ...BOGUS }),
    createFcn: () => B.createFcn({ classes: 11, channels: [2, 2, 2, 2], ...BOGUS }, rng()),
    runFcn: () => B.runFcn({ epochs: 1, batch: 2, lr: 1e-3, seed: 0, train: 2, test: 2, size: 32, digits: 1, examples: 1, out: '/nonexistent', ...BOGUS }),
    runTransfer: () => B.runTransfer({ seed: 0, pretrainEpochs: 1, perClass: 1, epochs: 1, batch: 2, lr: 1e-3, freeze: [], out: '/nonexistent', ...BOGUS }),
    segmentationDigitsSplit: () => B.segmentationDigitsSplit({ seed: 0, train: 2, test: 2, ...BOGUS }),
    createClassifier: () => B.createClassifier('rnn', 2, 3, 2, rng(), { forgetBias: 1, ...BOGUS }),
    trainClassifier: () => B.trainClassifier(B.createClassifier('rnn', 2, 3, 2, rng()), { steps: 1, lr: 1e-3, clip: 1, batch: () => ({ x: rng().randn([1, 3, 2]), y: new Int32Array([0]) }), ...BOGUS }),
    runLongterm: () => B.runLongterm({ lengths: [3], hidden: 2, symbols: 2, steps: 1, batch: 2, lr: 1e-3, clip: 1, forgetBias: 1, testSize: 2, seed: 0, ...BOGUS }),
    trainCharLm: () => B.trainCharLm({ text: 'abcabcabcabc', epochs: 1, seed: 0, ...BOGUS }),
    captionImages: () => B.captionImages(B.createCaptioner(capSize, rng()), Tensor.zeros([1, 1, 28, 84]), { temperature: 1, ...BOGUS }),
    runCaption: () => B.runCaption({ size: capSize, trainCanvases: 2, testCanvases: 2, epochs: 1, batch: 2, lr: 1e-3, clip: 1, seed: 0, ...BOGUS }),
    runSeqMnist: () => B.runSeqMnist({ epochs: 1, hidden: 2, batch: 2, lr: 1e-3, clip: 1, seed: 0, ...BOGUS }),
    runTranslate: () => B.runTranslate({ layers: [1], hidden: 2, embed: 2, epochs: 1, batch: 2, lr: 1e-3, clip: 1, seed: 0, trainSize: 2, testSize: 2, ...BOGUS }),
  },
};

/** package -> exported functions and classes that take no options object (positional numbers, tensors, caches). */
const NO_OPTIONS: Record<string, readonly string[]> = {
  tensor: [
    'NotImplementedError', 'Rng', 'ShapeError', 'Tensor', 'ValueError', 'add', 'assertFinite', 'assertNdim', 'assertShape', 'axpy', 'batchChunks', 'col2im', 'col2imChunk', 'convOutputSize',
    'directionalCheck', 'dot', 'formatShape', 'gemmKernel', 'im2col', 'im2colChunk', 'im2colPanels', 'imagesPerChunk', 'matmul', 'maxAbs', 'mul', 'norm', 'numericalGradient', 'optionKeys', 'pad2d', 'pair',
    'randomDirection', 'relativeError', 'samePadding', 'scale', 'setGemmKernel', 'shapeSize', 'shapesEqual', 'sub', 'sum', 'sumAxes', 'tensor', 'transpose2d', 'withWorkspace',
  ],
  layers: [
    'affineBackward', 'affineForward', 'alexnet', 'batches', 'bilinearUpsampling', 'classIoU', 'concatChannels', 'confusion', 'conv2dBackward', 'convMultiplies',
    'convTranspose2dBackward', 'drawDropoutMasks', 'evaluate', 'featureSize', 'flatten', 'formatConfusion', 'googlenet', 'inceptionBackward', 'lenet5', 'loadMnist',
    'maxPool2dBackward', 'meanIoU', 'networkBackward', 'pixelAccuracy', 'pixelSoftmaxCrossEntropy', 'predictPixels', 'randomShift', 'reluBackward', 'reluForward',
    'residualBlockBackward', 'residualNeedsProjection', 'resnet', 'softmaxCrossEntropy', 'splitChannels', 'vgg', 'vggBlock',
    // Data-parallel training: a thread count (and a worker entry for tests), an error class.
    'TrainingWorkerError', 'TrainingWorkers',
  ],
  rnn: [
    'clipGradNorm', 'clipGradValue', 'eigenPower', 'hiddenGradientNorms', 'lstmBackward', 'lstmForward', 'lstmStepBackward', 'lstmStepForward', 'randomOrthogonal',
    'recurrenceForward', 'recurrencePowers', 'rnnBackward', 'rnnForward', 'rnnInitParams', 'rnnStepBackward', 'rnnStepForward', 'sliceTime', 'spectralRadius',
    'symmetricEigen', 'layerKeys', 'sampleIndex', 'stackOf', 'temporalAffineBackward', 'temporalAffineForward', 'temporalSoftmaxLoss', 'timeChunks', 'wordEmbeddingBackward', 'wordEmbeddingForward',
  ],
  lab: [
    // Vega-Lite specs are validated by Vega-Lite; the rest take positional arguments.
    'accuracySpec', 'buildVocabulary', 'charLmChunk', 'classifierLossAndGrads', 'createCharLm', 'decodeIds', 'depthPlotSpec', 'downsample', 'encodeText',
    'evaluateCharLm', 'evaluateClassifier', 'evaluateFcn', 'evaluateStack', 'fcnBackward', 'fcnForward', 'firstPerClass', 'formatDepthTable', 'freezeLayers',
    'gradientNormSpec', 'hiddenStateGradientNorms', 'loadCorpus', 'lossAndGrads', 'lossCurveSpec', 'makeStreams', 'maskGridSvg', 'recallBatch', 'recallFeatures',
    'renderSvg', 'sampleText', 'segmentationBatches', 'stackBackward', 'stackForward', 'trainingCurvesSpec', 'unigramCrossEntropy', 'withNewHead',
    // Captioning, translation and sequence classification: positional arguments.
    'bleu1', 'captionIds', 'captionText', 'captionerLossAndGrads', 'createCaptioner', 'createSequenceClassifier', 'createTranslator', 'decodeGerman',
    'encodeImages', 'englishWords', 'evaluateCaptions', 'evaluateSequences', 'evaluateTranslator', 'featureCount', 'germanTokens', 'germanWord', 'makeCanvases',
    'mnistRows', 'numberSplit', 'sourceIds', 'targetIds',
    // Losses of the models behind --mine: a cell and functions.
    'librarySequenceLoss', 'sequenceLossFrom', 'seq2seqFrom',
  ],
};

const PACKAGES: Record<string, Record<string, unknown>> = { tensor: T, layers: L, rnn: R, lab: B };

describe('unknown options are errors, everywhere', () => {
  it.each(Object.keys(PACKAGES))('@dlkata/%s: every exported function is listed as taking options or not', (pkg) => {
    const fns = Object.entries(PACKAGES[pkg])
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => k)
      .sort();
    const listed = [...Object.keys(TAKES_OPTIONS[pkg]), ...NO_OPTIONS[pkg]].sort();
    expect(listed).toEqual(fns);
    expect(Object.keys(TAKES_OPTIONS[pkg]).filter((k) => NO_OPTIONS[pkg].includes(k))).toEqual([]);
  });

  const cases = Object.entries(TAKES_OPTIONS).flatMap(([pkg, fns]) => Object.entries(fns).map(([name, call]) => [`${pkg}.${name}`, call] as const));
  it.each(cases)('%s: an unknown key throws a ValueError naming it and the accepted keys', async (_, call) => {
    let error: unknown;
    try {
      await call();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(T.ValueError);
    expect((error as Error).message).toMatch(/unknown option bogusOption in \w+.*\(accepted: [a-zA-Z]/);
  });

  it.each<[string, () => unknown, RegExp]>([
    ['ceilMode on max pooling', () => L.maxPool2dForward(X(), { kernel: 2, ceilMode: true } as T.Pool2DParams), /unknown option ceilMode in params \(accepted: kernel, stride, pad\): ceil mode/],
    ['dilation on max pooling', () => L.maxPool2dForward(X(), { kernel: 2, dilation: 2 } as T.Pool2DParams), /unknown option dilation .*dilated pooling .* is not implemented/],
    ['groups on a convolution', () => L.conv2dForward(X(), rng().randn([2, 1, 3, 3]), Tensor.zeros([2]), { groups: 2 } as T.Conv2DParams), /unknown option groups .*grouped and depthwise convolutions/],
    ['paddingMode on a convolution', () => L.conv2dForward(X(), rng().randn([2, 2, 3, 3]), Tensor.zeros([2]), { paddingMode: 'reflect' } as T.Conv2DParams), /unknown option paddingMode .*only zero padding/],
    ['bias: false in a runnable spec', () => L.createNetwork({ name: 'm', inputShape: [1, 4, 4], layers: [{ type: 'conv', filters: 1, kernel: 1, bias: false }] }, rng()), /bias: false can be counted but not run/],
  ])('the options the issue found silently ignored: %s', (_, call, message) => {
    expect(call).toThrow(message);
  });
});
