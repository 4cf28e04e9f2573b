#!/usr/bin/env node
/**
 * `pnpm run longterm [--lengths 5,10,20,40 --hidden 16 --steps 600 --seed 0 --quick --out DIR]`
 *
 * Long-term dependencies, measured. A vanilla RNN and an LSTM with the same hidden size, seed,
 * data and budget learn "recall the first symbol" (the answer is `T - 1` steps back) for each
 * length T; a table shows where each one fails. Writes into `--out` (default `runs/longterm`):
 *
 * - `accuracy.svg`: held-out accuracy against T, both models, chance dashed;
 * - `gradient-norms.svg`: `||dL/dh_t|| / ||dL/dh_{T-1}||` against t for the longest T, RNN and
 *   LSTM, before and after training: how much of the gradient at the loss reaches each step;
 * - `gradient-regimes.svg`: `||dL/dh_t||` against t for recurrent weights with spectral radius
 *   below, at and above 1, and for tanh in its linear and its saturated range;
 * - `metrics.json`: the options and every number behind the table and the figures.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { renderSvg } from '../plot.js';
import { gradientRegimes } from '@dlkata/rnn';
import { runLongterm, type LongtermOptions } from '../tasks/longterm.js';
import { accuracySpec, gradientNormSpec } from '../tasks/plots.js';
import { int, positive } from './args.js';

function finite(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${v}"`);
    return n;
  };
}
function lengths(v: string): number[] {
  const list = v.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || !list.every((n) => Number.isInteger(n) && n >= 1)) throw new InvalidArgumentError(`--lengths must be a comma-separated list of integers >= 1, got "${v}"`);
  return list;
}

const userCwd = process.env.INIT_CWD ?? process.cwd();

/** Norms relative to the last one: how much of the gradient at the loss reaches each step. */
function relative(norms: readonly number[]): number[] {
  const last = norms[norms.length - 1];
  return norms.map((v) => (last > 0 ? v / last : v));
}

interface Opts {
  lengths?: number[];
  hidden: number;
  symbols: number;
  steps?: number;
  batch: number;
  lr: number;
  clip: number;
  forgetBias: number;
  test: number;
  seed: number;
  quick: boolean;
  out: string;
}

const program = new Command('longterm')
  .description('Vanilla RNN against LSTM on "recall the first symbol" for growing sequence lengths; gradient norms over time.')
  .option('--lengths <list>', 'sequence lengths T, comma-separated (default 5,10,20,40; --quick: 5,40)', lengths)
  .option('--hidden <n>', 'hidden units of both models', int('hidden', 1), 16)
  .option('--symbols <n>', 'alphabet size K (chance accuracy 1/K)', int('symbols', 2), 4)
  .option('--steps <n>', 'Adam steps per model and length (default 600; --quick: 300)', int('steps', 1))
  .option('--batch <n>', 'sequences per step', int('batch', 1), 32)
  .option('--lr <x>', "Adam's learning rate", positive('lr'), 0.01)
  .option('--clip <x>', 'largest global gradient norm (clipGradNorm)', positive('clip'), 1)
  .option('--forget-bias <x>', "the LSTM's initial forget-gate bias", finite('forget-bias'), 3)
  .option('--test <n>', 'held-out sequences per length', int('test', 1), 500)
  .option('--seed <n>', 'seed of the weights and the data', int('seed', 0), 0)
  .option('--quick', 'a short run: lengths 5,40 and 300 steps (unless given)', false)
  .option('--out <dir>', 'folder for metrics.json and the figures', 'runs/longterm')
  .showHelpAfterError();

program.action(async (o: Opts) => {
  const options: LongtermOptions = {
    lengths: o.lengths ?? (o.quick ? [5, 40] : [5, 10, 20, 40]),
    hidden: o.hidden,
    symbols: o.symbols,
    steps: o.steps ?? (o.quick ? 300 : 600),
    batch: o.batch,
    lr: o.lr,
    clip: o.clip,
    forgetBias: o.forgetBias,
    testSize: o.test,
    seed: o.seed,
  };
  const out = path.resolve(userCwd, o.out);
  console.log(
    `Recall the first of T symbols (K = ${options.symbols}, chance ${(100 / options.symbols).toFixed(0)}%): RNN vs LSTM, H = ${options.hidden}, ` +
      `${options.steps} Adam steps of ${options.batch} sequences (lr ${options.lr}, global-norm clip ${options.clip}), LSTM forget bias ${options.forgetBias}, seed ${options.seed}\n`,
  );
  const bar = new cliProgress.SingleBar(
    { format: '{name} |{bar}| {value}/{total} steps | loss {loss} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
  const t0 = performance.now();
  const results = runLongterm({
    ...options,
    onStart: (T, cell) => bar.start(options.steps, 0, { name: `T=${String(T).padStart(3)} ${cell.padEnd(4)}`, loss: '-' }),
    onStep: (_T, _cell, s, loss) => {
      bar.update(s, { loss: loss.toFixed(3) });
      if (s === options.steps) bar.stop();
    },
  });
  const seconds = (performance.now() - t0) / 1000;

  const pct = (v: number): string => `${(100 * v).toFixed(1)}%`.padStart(7);
  const ratio = (n: readonly number[]): string => (n[0] / n[n.length - 1]).toExponential(1).padStart(9);
  console.log('\n   T |  RNN acc | LSTM acc | RNN loss | LSTM loss | ||dL/dh_0|| / ||dL/dh_T-1|| at init: RNN, LSTM');
  console.log('-----+----------+----------+----------+-----------+--------------------------------------------');
  for (const T of options.lengths) {
    const r = results.find((x) => x.T === T && x.cell === 'rnn')!;
    const l = results.find((x) => x.T === T && x.cell === 'lstm')!;
    console.log(
      `${String(T).padStart(4)} | ${pct(r.accuracy)}  | ${pct(l.accuracy)}  | ${r.loss.toFixed(3).padStart(8)} | ${l.loss.toFixed(3).padStart(9)} | ${ratio(r.gradNormsInitial)}, ${ratio(l.gradNormsInitial)}`,
    );
  }
  const solved = (cell: string): number[] => results.filter((x) => x.cell === cell && x.accuracy >= 0.9).map((x) => x.T);
  console.log(`\nSolved (held-out accuracy >= 90%): RNN at T = ${solved('rnn').join(', ') || 'none'}; LSTM at T = ${solved('lstm').join(', ') || 'none'}. ${seconds.toFixed(0)} s.`);

  const regimes = gradientRegimes({ T: 40, H: 16, seed: options.seed });
  console.log('\nGradient norm ||dL/dh_t|| at t = 0 (the loss at t = 39, ||dL/dh_39|| = 1):');
  for (const g of regimes) console.log(`  ${g.name.padEnd(48)} ${g.norms[0].toExponential(2)}`);

  mkdirSync(out, { recursive: true });
  const Tmax = Math.max(...options.lengths);
  const gradPoints = results
    .filter((x) => x.T === Tmax)
    .flatMap((x) =>
      (['initial', 'trained'] as const).flatMap((stage) =>
        relative(stage === 'initial' ? x.gradNormsInitial : x.gradNormsTrained).map((norm, t) => ({ t, series: x.cell.toUpperCase(), stage: stage === 'initial' ? 'before training' : 'after training', norm })),
      ),
    );
  const files: Array<[string, string]> = [
    [
      'accuracy.svg',
      await renderSvg(
        accuracySpec(
          `Recall the first symbol: RNN vs LSTM (H = ${options.hidden}, ${options.steps} steps, seed ${options.seed})`,
          results.map((x) => ({ T: x.T, model: x.cell.toUpperCase(), accuracy: x.accuracy })),
          1 / options.symbols,
        ),
      ),
    ],
    ['gradient-norms.svg', await renderSvg(gradientNormSpec(`Gradient reaching each step, T = ${Tmax}: RNN vs LSTM`, gradPoints, '||dL/dh_t|| / ||dL/dh_T-1|| (held-out batch)', 'stage'))],
    [
      'gradient-regimes.svg',
      await renderSvg(
        gradientNormSpec(
          'Vanishing and exploding gradients: W_h = rho Q (Q orthogonal)',
          regimes.flatMap((g) => g.norms.map((norm, t) => ({ t, series: g.name, norm }))),
          '||dL/dh_t|| (||dL/dh_39|| = 1)',
        ),
      ),
    ],
  ];
  const metrics = {
    task: { name: 'recall the first symbol', symbols: options.symbols, chance: 1 / options.symbols },
    options: { ...options, onStep: undefined, onStart: undefined },
    results: results.map(({ losses, ...r }) => ({ ...r, finalTrainLoss: losses[losses.length - 1] })),
    regimes,
    seconds,
  };
  files.push(['metrics.json', JSON.stringify(metrics, null, 2) + '\n']);
  for (const [name, text] of files) writeFileSync(path.join(out, name), text);
  console.log(`\nWrote ${files.map(([name]) => path.relative(userCwd, path.join(out, name))).join(', ')}`);
});

await program.parseAsync(process.argv);
