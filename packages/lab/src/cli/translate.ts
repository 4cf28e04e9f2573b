#!/usr/bin/env node
/**
 * `pnpm train translate [--layers 1,2 --hidden 48 --epochs 5 --train 2000 --test 1000 --seed 0 --quick --mine [DIR] --out DIR]`
 *
 * An encoder-decoder LSTM translates English number words into German ones ("three hundred
 * twelve" -> "dreihundertzwölf"), one model per depth (1 and 2 layers by default), trained on
 * numbers from 1-9999 and tested on held-out numbers it never saw (see `tasks/translate.ts`).
 * Prints exact-match accuracy overall and by source length, examples of mistakes, and writes
 * `metrics.json` and `accuracy.svg` (accuracy by source length, one line per depth) into `--out`
 * (default `runs/translate`). Deterministic for a seed.
 *
 * `--mine [DIR]` trains with the student's `seq2seqLoss` and `seq2seqGreedy` (exercise 12, from
 * `exercises/` or DIR; one LSTM layer per side) or, while those are TODO, with the student's LSTM
 * (exercise 11) inside the library's encoder-decoder, on smaller defaults, then runs the
 * library's model on the same seed and settings and compares; `metrics.json` records where the
 * functions came from (`mine.sources`) and the comparison. The run stops with a message while
 * both are TODO.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../plot.js';
import { runTranslate, seq2seqFrom, type TranslateImpl } from '../tasks/translate.js';
import { compareRuns, formatComparison, formatSources, loadMine, MineMissingError, type Comparison, type Mine } from '../mine/mine.js';
import { ROOT } from '../root.js';
import { int, positive, userCwd } from './args.js';

interface TranslateOpts {
  layers?: number[];
  hidden?: number;
  embed: number;
  epochs?: number;
  train?: number;
  test?: number;
  batch: number;
  lr: number;
  clip: number;
  seed: number;
  quick: boolean;
  mine?: true | string;
  out: string;
}

/** Held-out exact-match accuracies of the student's and the library's models within this many points are "the same within noise". */
const SAME_POINTS = 1;

function depths(v: string): number[] {
  const list = v.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || !list.every((n) => Number.isInteger(n) && n >= 1 && n <= 4)) throw new InvalidArgumentError(`--layers must be a comma-separated list of integers 1-4, got "${v}"`);
  return list;
}

/** Accuracy against the number of English words, one line per depth. */
export function lengthAccuracySpec(title: string, points: readonly { words: number; model: string; accuracy: number; n: number }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 380,
    height: 240,
    data: { values: points as unknown as Record<string, unknown>[] },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'words', type: 'ordinal', title: 'English words in the source' },
      y: { field: 'accuracy', type: 'quantitative', title: 'exact-match accuracy (held-out numbers)', scale: { domain: [0, 1] }, axis: { format: '%' } },
      color: { field: 'model', type: 'nominal', title: null },
      tooltip: [{ field: 'n', type: 'quantitative', title: 'numbers' }],
    },
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

async function run(o: TranslateOpts): Promise<void> {
  const out = path.resolve(userCwd, o.out);
  const mineDir = o.mine === undefined ? undefined : o.mine === true ? 'exercises' : path.resolve(userCwd, o.mine);
  let mine: Mine | undefined;
  let impl: TranslateImpl | undefined;
  let uses: string | undefined;
  if (mineDir !== undefined) {
    if (o.layers !== undefined && o.layers.some((L) => L !== 1)) {
      console.error(`train translate --mine: your encoder-decoder (exercise 12, or exercise 11's LSTM) has one LSTM layer per side; --layers ${o.layers.join(',')} asks for more. Use --layers 1, or run without --mine for deeper models.`);
      process.exitCode = 1;
      return;
    }
    try {
      mine = await loadMine({ root: ROOT, dir: mineDir, run: 'train translate', groups: ['seq2seq', 'lstm'], requireAny: ['seq2seq', 'lstm'] });
    } catch (e) {
      if (!(e instanceof MineMissingError)) throw e;
      console.error(e.message);
      process.exitCode = 1;
      return;
    }
    const arch = mine.sources.find((x) => x.group === 'seq2seq')!;
    impl = arch.from === 'yours' ? mine.impl : seq2seqFrom(mine.impl);
    uses =
      arch.from === 'yours'
        ? `seq2seqLoss, seq2seqGreedy yours (${arch.file}, with the LSTM of that exercise's cells.ts: exercise 11's lstmForward is not used here); clipping and Adam the library's`
        : `lstmForward, lstmBackward, lstmStepForward yours (${mine.sources.find((x) => x.group === 'lstm')!.file}) inside the library's encoder-decoder (embeddings, output layer, masked softmax loss); clipping and Adam the library's`;
    console.log(`Your code in this run:\n${formatSources(mine.sources)}\n  encoder-decoder: ${uses}\n`);
  }
  const layers = o.layers ?? (mine ? [1] : [1, 2]);
  const epochs = o.epochs ?? (o.quick ? 2 : mine ? 4 : 5);
  const trainSize = o.train ?? (o.quick ? 800 : 2000);
  const testSize = o.test ?? (mine ? 300 : 1000);
  const hidden = o.hidden ?? (mine ? 32 : 48);
  if (mine && (o.epochs === undefined || o.test === undefined || o.hidden === undefined)) {
    console.log(`--mine: the exercise's loops are slow, so this run is small unless given: 1 layer, ${epochs} epoch(s), ${testSize} held-out numbers, H = ${hidden} (the library's defaults: layers 1,2, 5 epochs, 1000 held-out numbers, H = 48)\n`);
  }
  const bar = new cliProgress.SingleBar(
    { format: '{name} |{bar}| {value}/{total} steps | loss {loss} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
  console.log(`English -> German number words (1-9999): ${trainSize} training numbers, ${testSize} held out; LSTM encoder-decoder, depths ${layers.join(', ')}, H = ${hidden}, ${epochs} epoch(s), Adam lr ${o.lr}, seed ${o.seed}\n`);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const train = (prefix: string, impl?: TranslateImpl) =>
    runTranslate({
      layers,
      hidden,
      embed: o.embed,
      epochs,
      batch: o.batch,
      lr: o.lr,
      clip: o.clip,
      seed: o.seed,
      trainSize,
      testSize,
      ...(impl ? { impl } : {}),
      onStep: (L, epoch, step, steps, loss) => {
        if (step === 1) bar.start(steps, 0, { name: `${prefix}${L} layer${L > 1 ? 's' : ''} epoch ${epoch}/${epochs}`, loss: '-' });
        bar.update(step, { loss: loss.toFixed(3) });
        if (step === steps) bar.stop();
      },
      onEpoch: (L, e) => console.log(`  ${prefix}${L} layer(s), epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(3)} nats per number, held-out exact match ${(100 * e.testAccuracy).toFixed(1)}% (${e.seconds.toFixed(0)} s)`),
    });
  const result = train('', impl);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const lengths = [...new Set(result.models.flatMap((m) => Object.keys(m.test.byLength).map(Number)))].sort((a, b) => a - b);
  console.log(`\nHeld-out exact match by English source length (words):`);
  console.log(`  model     | all     | ${lengths.map((k) => `${k} (n=${result.models[0].test.byLength[k]?.n ?? 0})`.padEnd(10)).join(' | ')}`);
  for (const m of result.models) {
    console.log(`  ${`${m.layers} layer${m.layers > 1 ? 's' : ''}`.padEnd(9)} | ${`${(100 * m.test.accuracy).toFixed(1)}%`.padEnd(7)} | ${lengths.map((k) => `${(100 * (m.test.byLength[k]?.accuracy ?? 0)).toFixed(1)}%`.padEnd(10)).join(' | ')}`);
  }
  for (const m of result.models) {
    const wrong = m.test.examples.filter((e) => e.output !== e.german).slice(0, 3);
    if (wrong.length > 0) console.log(`  ${m.layers} layer(s), mistakes: ${wrong.map((e) => `"${e.english}" -> ${e.output} (not ${e.german})`).join('; ')}`);
  }
  const sample = result.models[result.models.length - 1].test.examples.filter((e) => e.output === e.german).slice(0, 3);
  console.log(`  examples: ${sample.map((e) => `"${e.english}" -> ${e.output}`).join('; ')}`);
  console.log(`(${seconds.toFixed(0)} s wall clock, ${cpuSeconds.toFixed(0)} s of CPU time: about the wall clock on an idle core)`);
  let comparisons: Comparison[] | undefined;
  if (mine) {
    console.log(`\nThe library's encoder-decoder with the same seed and settings:`);
    const lib = train('library ');
    comparisons = result.models.flatMap((m) => {
      const l = lib.models.find((x) => x.layers === m.layers)!;
      const last = (r: typeof m) => r.epochs[r.epochs.length - 1].trainLoss;
      return [
        compareRuns(`${m.layers} layer(s), held-out exact match (points)`, 100 * m.test.accuracy, 100 * l.test.accuracy, SAME_POINTS),
        compareRuns(`${m.layers} layer(s), last epoch's train loss (nats per number)`, last(m), last(l), 0.01),
      ];
    });
    console.log(`\nYour run against the library's:\n${comparisons.map((c) => formatComparison(c, (v) => (c.metric.includes('nats') ? v.toFixed(4) : v.toFixed(1)))).join('\n')}`);
  }

  mkdirSync(out, { recursive: true });
  const metrics = {
    data: { numbers: '1-9999', train: result.train.length, test: result.test.length, heldOut: 'test numbers never appear in training' },
    options: { layers, hidden, embed: o.embed, epochs, batch: o.batch, lr: o.lr, clip: o.clip, seed: o.seed },
    models: result.models.map((m) => ({ layers: m.layers, parameters: m.parameters, testAccuracy: m.test.accuracy, trainAccuracy: m.train.accuracy, byLength: m.test.byLength, epochs: m.epochs, mistakes: m.test.examples.filter((e) => e.output !== e.german) })),
    seconds,
    cpuSeconds,
    ...(mine ? { mine: { dir: path.relative(ROOT, mineDir!) || mineDir, sources: mine.sources, uses }, comparisons } : {}),
  };
  writeFileSync(path.join(out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  const points = result.models.flatMap((m) => lengths.map((k) => ({ words: k, model: `${m.layers} layer${m.layers > 1 ? 's' : ''}`, accuracy: m.test.byLength[k]?.accuracy ?? 0, n: m.test.byLength[k]?.n ?? 0 })));
  writeFileSync(path.join(out, 'accuracy.svg'), await renderSvg(lengthAccuracySpec(`English -> German number words, held-out numbers (H = ${hidden}, ${epochs} epochs, seed ${o.seed})`, points)));
  console.log(`Wrote ${path.relative(userCwd, path.join(out, 'metrics.json'))} and ${path.relative(userCwd, path.join(out, 'accuracy.svg'))}`);
}

/**
 * Adds the `translate` command to a commander program (the `train` CLI of this package).
 *
 * @param program - the parent program
 * @returns the new subcommand
 */
export function registerTranslate(program: Command): Command {
  return configure(program.command('translate'));
}

function configure(cmd: Command): Command {
  return cmd
    .description('Encoder-decoder LSTM: English number words -> German number words, 1 vs 2 layers, held-out numbers')
    .option('--layers <list>', 'depths to compare, comma-separated (default 1,2; --mine: 1)', depths)
    .option('--hidden <n>', 'LSTM hidden units (every layer, both sides; default 48, --mine: 32)', int('hidden', 1))
    .option('--embed <n>', 'word embedding size', int('embed', 1), 24)
    .option('--epochs <n>', 'passes over the training numbers (default 5; --quick: 2; --mine: 4)', int('epochs', 1))
    .option('--train <n>', 'training numbers drawn from 1-9999 (default 2000; --quick: 800)', int('train', 1))
    .option('--test <n>', 'held-out numbers, never seen in training (default 1000; --mine: 300)', int('test', 1))
    .option('--batch <n>', 'pairs per Adam step', int('batch', 1), 32)
    .option('--lr <x>', "Adam's learning rate", positive('lr'), 0.01)
    .option('--clip <x>', 'largest global gradient norm', positive('clip'), 5)
    .option('--seed <n>', 'seed of the split, the weights and the batch order', int('seed', 0), 0)
    .option('--quick', 'a short run: 800 training numbers, 2 epochs (unless given)', false)
    .option('--mine [dir]', "use your own seq2seqLoss and seq2seqGreedy (exercise 12; while TODO, your LSTM of exercise 11), from exercises/ or DIR, on a small one-layer run; then compare with the library's run")
    .option('--out <dir>', 'folder for metrics.json and accuracy.svg', 'runs/translate')
    .showHelpAfterError()
    .action((o: TranslateOpts) => run(o));
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) await configure(new Command('translate')).parseAsync(process.argv);
