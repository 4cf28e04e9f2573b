/**
 * The lecture's classic architectures as {@link ModelSpec}s, with their published parameter
 * counts as the test oracle.
 *
 * @module
 */
import { ValueError } from '@dlkata/tensor';
import type { LayerSpec, ModelSpec, SequentialLayerSpec, SequentialModelSpec } from './spec.js';

/**
 * LeNet-5 (LeCun et al. 1998) in its common modern form: 32x32 grey input, conv 6@5x5 ->
 * pool -> conv 16@5x5 -> pool -> fully connected 120 -> 84 -> 10, with full C3 connectivity,
 * ReLU and max pooling (the paper used sigmoid-like units, average-pool "subsampling" with
 * trainable coefficients and a partial C3 table).
 *
 * 61,706 parameters (the lecture: "about 60k"). Going deeper, width and height shrink
 * (32 -> 28 -> 14 -> 10 -> 5) while the number of filters grows (1 -> 6 -> 16).
 *
 * @param classes - output classes, default 10 (digits)
 * @param inputSize - side of the square grey input, default 32 (MNIST padded by 2)
 */
export function lenet5(classes = 10, inputSize = 32): SequentialModelSpec {
  return {
    name: 'LeNet-5',
    inputShape: [1, inputSize, inputSize],
    layers: [
      { type: 'conv', filters: 6, kernel: 5, name: 'conv1' },
      { type: 'relu', name: 'relu1' },
      { type: 'maxpool', kernel: 2, stride: 2, name: 'pool1' },
      { type: 'conv', filters: 16, kernel: 5, name: 'conv2' },
      { type: 'relu', name: 'relu2' },
      { type: 'maxpool', kernel: 2, stride: 2, name: 'pool2' },
      { type: 'flatten', name: 'flatten' },
      { type: 'affine', units: 120, name: 'fc1' },
      { type: 'relu', name: 'relu3' },
      { type: 'affine', units: 84, name: 'fc2' },
      { type: 'relu', name: 'relu4' },
      { type: 'affine', units: classes, name: 'fc3' },
    ],
  };
}

/**
 * AlexNet (Krizhevsky et al. 2012) as in torchvision's `alexnet()` (the single-GPU variant of
 * "One weird trick", 64-192-384-256-256 filters), 3x224x224 input, softmax over 1000 classes.
 * torchvision's adaptive average pool is the identity at this input size (the features are
 * already 6x6), so it is left out.
 *
 * 61,100,840 parameters (torchvision).
 */
export function alexnet(classes = 1000): SequentialModelSpec {
  return {
    name: 'AlexNet',
    inputShape: [3, 224, 224],
    layers: [
      { type: 'conv', filters: 64, kernel: 11, stride: 4, pad: 2 },
      { type: 'relu' },
      { type: 'maxpool', kernel: 3, stride: 2 },
      { type: 'conv', filters: 192, kernel: 5, pad: 2 },
      { type: 'relu' },
      { type: 'maxpool', kernel: 3, stride: 2 },
      { type: 'conv', filters: 384, kernel: 3, pad: 1 },
      { type: 'relu' },
      { type: 'conv', filters: 256, kernel: 3, pad: 1 },
      { type: 'relu' },
      { type: 'conv', filters: 256, kernel: 3, pad: 1 },
      { type: 'relu' },
      { type: 'maxpool', kernel: 3, stride: 2 },
      { type: 'flatten' },
      { type: 'dropout', p: 0.5 },
      { type: 'affine', units: 4096 },
      { type: 'relu' },
      { type: 'dropout', p: 0.5 },
      { type: 'affine', units: 4096 },
      { type: 'relu' },
      { type: 'affine', units: classes },
    ],
  };
}

/**
 * One VGG block, the lecture's rule "striving for simplicity": `convs` convolutions 3x3,
 * stride 1, "same" padding, each followed by ReLU, then a 2x2 max pool with stride 2. Width
 * and height halve; the number of filters is the block's.
 *
 * @throws ValueError for fewer than one conv or filter
 */
export function vggBlock(convs: number, filters: number): SequentialLayerSpec[] {
  if (!Number.isInteger(convs) || convs < 1) throw new ValueError('vggBlock', `convs must be an integer >= 1, got ${convs}`);
  if (!Number.isInteger(filters) || filters < 1) throw new ValueError('vggBlock', `filters must be an integer >= 1, got ${filters}`);
  const layers: SequentialLayerSpec[] = [];
  for (let i = 0; i < convs; i++) {
    layers.push({ type: 'conv', filters, kernel: 3, stride: 1, pad: 'same' }, { type: 'relu' });
  }
  layers.push({ type: 'maxpool', kernel: 2, stride: 2 });
  return layers;
}

/**
 * VGG-16 or VGG-19 (Simonyan & Zisserman 2014, configurations D and E): five VGG blocks with
 * 64-128-256-512-512 filters, then fully connected 4096 -> 4096 -> 1000 on 3x224x224 input.
 *
 * 138,357,544 parameters for VGG-16 (the lecture: "138M"), 143,667,240 for VGG-19 (torchvision).
 *
 * @param depth - 16 or 19 layers with weights
 * @throws ValueError for another depth
 */
export function vgg(depth: 16 | 19 = 16, classes = 1000): SequentialModelSpec {
  const convs: Record<number, number[]> = { 16: [2, 2, 3, 3, 3], 19: [2, 2, 4, 4, 4] };
  const plan = convs[depth];
  if (!plan) throw new ValueError('vgg', `depth must be 16 or 19, got ${depth}`);
  const filters = [64, 128, 256, 512, 512];
  return {
    name: `VGG-${depth}`,
    inputShape: [3, 224, 224],
    layers: [
      ...plan.flatMap((n, i) => vggBlock(n, filters[i])),
      { type: 'flatten' },
      { type: 'affine', units: 4096 },
      { type: 'relu' },
      { type: 'dropout', p: 0.5 },
      { type: 'affine', units: 4096 },
      { type: 'relu' },
      { type: 'dropout', p: 0.5 },
      { type: 'affine', units: classes },
    ],
  };
}

/** Blocks per stage of the ResNets of He et al. 2016, Table 1. */
const RESNET_PLANS: Readonly<Record<number, { block: 'basic' | 'bottleneck'; blocks: readonly number[] }>> = {
  18: { block: 'basic', blocks: [2, 2, 2, 2] },
  34: { block: 'basic', blocks: [3, 4, 6, 3] },
  50: { block: 'bottleneck', blocks: [3, 4, 6, 3] },
  101: { block: 'bottleneck', blocks: [3, 4, 23, 3] },
  152: { block: 'bottleneck', blocks: [3, 8, 36, 3] },
};

/**
 * ResNet for 3x224x224 images (He et al. 2016, Table 1; torchvision's `resnet18` ... `resnet152`):
 * a bias-free 7x7 convolution with stride 2, batch norm, ReLU, 3x3 max pooling with stride 2,
 * four stages of residual blocks (64, 128, 256, 512 filters; the last three start with stride 2
 * and a projection shortcut), global average pooling and a fully connected layer. For counting
 * with {@link analyze} and {@link summary}; the sequential runtime does not run it.
 *
 * Parameters (torchvision's published counts): ResNet-18 11,689,512; ResNet-34 21,797,672;
 * ResNet-50 25,557,032; ResNet-101 44,549,160; ResNet-152 60,192,808.
 *
 * @param depth - 18, 34, 50, 101 or 152
 * @param classes - outputs of the last layer, default 1000 (ImageNet)
 * @throws ValueError for another depth
 * @see the lecture, items 4-7 (ResNet); He, Zhang, Ren and Sun, "Deep Residual Learning for
 *   Image Recognition", CVPR 2016; torchvision `models.resnet`
 * @example
 * ```ts
 * analyze(resnet(18)).params; // 11689512
 * ```
 */
export function resnet(depth: 18 | 34 | 50 | 101 | 152 = 18, classes = 1000): ModelSpec {
  const plan = RESNET_PLANS[depth];
  if (!plan) throw new ValueError('resnet', `depth must be one of ${Object.keys(RESNET_PLANS).join(', ')}, got ${depth}`);
  return {
    name: `ResNet-${depth}`,
    inputShape: [3, 224, 224],
    layers: [
      { type: 'conv', filters: 64, kernel: 7, stride: 2, pad: 3, bias: false, name: 'conv1' },
      { type: 'batchnorm', name: 'bn1' },
      { type: 'relu', name: 'relu' },
      { type: 'maxpool', kernel: 3, stride: 2, pad: 1, name: 'maxpool' },
      ...plan.blocks.map((blocks, i): LayerSpec => ({ type: 'residual', block: plan.block, filters: 64 * 2 ** i, blocks, stride: i === 0 ? 1 : 2, name: `layer${i + 1}` })),
      { type: 'adaptiveavgpool', output: 1, name: 'avgpool' },
      { type: 'flatten', name: 'flatten' },
      { type: 'affine', units: classes, name: 'fc' },
    ],
  };
}

/**
 * GoogLeNet (Inception v1) as torchvision builds it (`googlenet`, without the auxiliary
 * classifiers): bias-free convolutions each followed by batch norm, max poolings with
 * `ceilMode`, nine inception modules (Szegedy et al. 2015, Table 1) whose third branch uses a
 * 3x3 kernel (torchvision's known quirk, `kernel5: 3`), global average pooling, dropout 0.2 and a
 * fully connected layer. 6,624,904 parameters (torchvision's published count). For counting only.
 *
 * @param classes - default 1000
 * @see the lecture, items 8-10 (inception); Szegedy et al., "Going Deeper with Convolutions",
 *   CVPR 2015, Table 1; torchvision `models.googlenet`
 */
export function googlenet(classes = 1000): ModelSpec {
  const inc = (name: string, c1: number, c3reduce: number, c3: number, c5reduce: number, c5: number, poolProj: number): LayerSpec => ({
    type: 'inception',
    c1,
    c3reduce,
    c3,
    c5reduce,
    c5,
    poolProj,
    norm: 'batch',
    kernel5: 3,
    name,
  });
  const convBn = (name: string, filters: number, kernel: number, stride = 1, pad = 0): LayerSpec[] => [
    { type: 'conv', filters, kernel, stride, pad, bias: false, name },
    { type: 'batchnorm', name: `${name}.bn` },
    { type: 'relu', name: `${name}.relu` },
  ];
  return {
    name: 'GoogLeNet',
    inputShape: [3, 224, 224],
    layers: [
      ...convBn('conv1', 64, 7, 2, 3),
      { type: 'maxpool', kernel: 3, stride: 2, ceilMode: true, name: 'maxpool1' },
      ...convBn('conv2', 64, 1),
      ...convBn('conv3', 192, 3, 1, 1),
      { type: 'maxpool', kernel: 3, stride: 2, ceilMode: true, name: 'maxpool2' },
      inc('inception3a', 64, 96, 128, 16, 32, 32),
      inc('inception3b', 128, 128, 192, 32, 96, 64),
      { type: 'maxpool', kernel: 3, stride: 2, ceilMode: true, name: 'maxpool3' },
      inc('inception4a', 192, 96, 208, 16, 48, 64),
      inc('inception4b', 160, 112, 224, 24, 64, 64),
      inc('inception4c', 128, 128, 256, 24, 64, 64),
      inc('inception4d', 112, 144, 288, 32, 64, 64),
      inc('inception4e', 256, 160, 320, 32, 128, 128),
      { type: 'maxpool', kernel: 2, stride: 2, ceilMode: true, name: 'maxpool4' },
      inc('inception5a', 256, 160, 320, 32, 128, 128),
      inc('inception5b', 384, 192, 384, 48, 128, 128),
      { type: 'adaptiveavgpool', output: 1, name: 'avgpool' },
      { type: 'flatten', name: 'flatten' },
      { type: 'dropout', p: 0.2, name: 'dropout' },
      { type: 'affine', units: classes, name: 'fc' },
    ],
  };
}
