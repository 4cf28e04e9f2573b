#!/usr/bin/env node
/**
 * `pnpm train charlm [--epochs 20 --hidden 96 --bptt 32 --temperature 0.7 --seed 0 --quick --out DIR]`
 * (also `pnpm charlm ...`)
 *
 * A character-level language model (embedding, LSTM, temporal affine, softmax) on the bundled
 * public-domain text (the King James Bible, Genesis 1-3; `packages/lab/data/`), trained by
 * truncated backprop through time with Adam and global-norm clipping. Prints the unigram
 * baseline, a progress bar per epoch, the training and validation loss per character and a
 * sample at the chosen temperature after every epoch; writes `metrics.json` and `loss.svg`
 * into `--out` (default `runs/charlm`). Deterministic for a seed.
 *
 * Run directly, this file is its own command; {@link registerCharlm} adds the same command as
 * the subcommand `charlm` of another commander program (the `train` CLI of this package).
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { renderSvg } from '../plot.js';
import { CORPUS_FILE, loadCorpus, trainCharLm } from '../tasks/charlm.js';
import { lossCurveSpec } from '../tasks/plots.js';
import { int, positive } from './args.js';

interface CharlmOpts {
  epochs?: number;
  hidden?: number;
  embed: number;
  streams: number;
  bptt: number;
  lr: number;
  clip: number;
  temperature: number;
  sampleLength: number;
  prime: string;
  seed: number;
  text?: string;
  quick: boolean;
  out: string;
}

const LN2 = Math.log(2);
const fmt = (nats: number): string => `${nats.toFixed(3)} nats (${(nats / LN2).toFixed(2)} bits)`;

async function run(o: CharlmOpts): Promise<void> {
  const userCwd = process.env.INIT_CWD ?? process.cwd();
  const out = path.resolve(userCwd, o.out);
  const file = o.text ? path.resolve(userCwd, o.text) : CORPUS_FILE;
  const text = loadCorpus(file);
  const epochs = o.epochs ?? (o.quick ? 3 : 20);
  const hidden = o.hidden ?? (o.quick ? 48 : 96);
  const bar = new cliProgress.SingleBar(
    { format: 'epoch {epoch} |{bar}| {value}/{total} chunks | loss {loss} nats/char | ETA {eta_formatted}', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  console.log(`${path.relative(userCwd, file)}: ${text.length} characters; LSTM H = ${hidden}, embedding ${o.embed}, ${o.streams} streams, truncated BPTT k = ${o.bptt}, Adam lr ${o.lr}, clip ${o.clip}, seed ${o.seed}\n`);
  const t0 = performance.now();
  const result = trainCharLm({
    text,
    epochs,
    hidden,
    embed: o.embed,
    streams: o.streams,
    bptt: o.bptt,
    lr: o.lr,
    clip: o.clip,
    seed: o.seed,
    sampleLength: o.sampleLength,
    temperature: o.temperature,
    prime: o.prime,
    onChunk: (e, k, n, loss) => {
      if (!started) {
        bar.start(n, 0, { epoch: `${e}/${epochs}`, loss: '-' });
        started = true;
      }
      bar.update(k, { loss: loss.toFixed(3) });
      if (k === n) {
        bar.stop();
        started = false;
      }
    },
    onEpoch: (r) => {
      console.log(`  epoch ${r.epoch}: train ${fmt(r.trainLoss)} | validation ${fmt(r.validationLoss)} | ${r.seconds.toFixed(1)} s`);
      console.log(`  sample (temperature ${o.temperature}): ${JSON.stringify(r.sample)}\n`);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const last = result.epochs[result.epochs.length - 1];
  console.log(`Vocabulary: ${result.model.V} characters; ${result.trainChars} for training, ${result.validationChars} held out for validation.`);
  console.log(`Untrained model:            ${fmt(result.initialLoss)} per character (ln V = ${Math.log(result.model.V).toFixed(3)})`);
  console.log(`Unigram baseline, train:    ${fmt(result.unigramTrain)} per character`);
  console.log(`Unigram baseline, held out: ${fmt(result.unigramValidation)} per character`);
  console.log(`LSTM after ${epochs} epochs, train:     ${fmt(last.trainLoss)} per character`);
  console.log(`LSTM after ${epochs} epochs, held out:  ${fmt(last.validationLoss)} per character (${seconds.toFixed(0)} s)`);

  mkdirSync(out, { recursive: true });
  const points = result.epochs.flatMap((r) => [
    { epoch: r.epoch, split: 'train', loss: r.trainLoss },
    { epoch: r.epoch, split: 'validation', loss: r.validationLoss },
  ]);
  const metrics = {
    data: { file: path.basename(file), source: 'The Holy Bible, King James Version (public domain), Genesis 1-3', characters: text.length, vocabulary: result.vocab.chars.join('') },
    options: { epochs, hidden, embed: o.embed, streams: o.streams, bptt: o.bptt, lr: o.lr, clip: o.clip, temperature: o.temperature, sampleLength: o.sampleLength, prime: o.prime, seed: o.seed },
    trainChars: result.trainChars,
    validationChars: result.validationChars,
    initialLoss: result.initialLoss,
    unigram: { train: result.unigramTrain, validation: result.unigramValidation },
    epochs: result.epochs,
    seconds,
  };
  writeFileSync(path.join(out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  const svg = await renderSvg(
    lossCurveSpec(`Character LSTM on Genesis 1-3 (H = ${hidden}, seed ${o.seed}); dashed: unigram baselines`, points, [
      { split: 'train', loss: result.unigramTrain },
      { split: 'validation', loss: result.unigramValidation },
    ]),
  );
  writeFileSync(path.join(out, 'loss.svg'), svg);
  console.log(`\nWrote ${path.relative(userCwd, path.join(out, 'metrics.json'))} and ${path.relative(userCwd, path.join(out, 'loss.svg'))}`);
}

/**
 * Adds the `charlm` command (options and action) to a commander program, so a `train` CLI can
 * offer `train charlm`.
 *
 * @param program - the parent program
 * @returns the new subcommand
 * @example
 * ```ts
 * const program = new Command('train');
 * registerCharlm(program);
 * await program.parseAsync(process.argv); // train charlm --epochs 5
 * ```
 */
export function registerCharlm(program: Command): Command {
  return configure(program.command('charlm'));
}

function configure(cmd: Command): Command {
  return cmd
    .description('Character-level LSTM language model on Genesis 1-3 (KJV), truncated BPTT')
    .option('--epochs <n>', 'passes over the training text (default 20; --quick: 3)', int('epochs', 1))
    .option('--hidden <n>', 'LSTM hidden units (default 96; --quick: 48)', int('hidden', 1))
    .option('--embed <n>', 'character embedding size', int('embed', 1), 16)
    .option('--streams <n>', 'parallel text streams (batch)', int('streams', 1), 16)
    .option('--bptt <n>', 'truncated BPTT length: steps per chunk', int('bptt', 1), 32)
    .option('--lr <x>', "Adam's learning rate", positive('lr'), 3e-3)
    .option('--clip <x>', 'largest global gradient norm', positive('clip'), 5)
    .option('--temperature <x>', 'sampling temperature', positive('temperature'), 0.7)
    .option('--sample-length <n>', 'characters sampled after every epoch', int('sample-length', 0), 200)
    .option('--prime <text>', 'start of every sample', 'And God said')
    .option('--seed <n>', 'seed of the weights and the samples', int('seed', 0), 0)
    .option('--text <file>', 'train on another UTF-8 text file instead of the bundled one')
    .option('--quick', 'a short run: 3 epochs, 48 hidden units (unless given)', false)
    .option('--out <dir>', 'folder for metrics.json and loss.svg', 'runs/charlm')
    .showHelpAfterError()
    .action((o: CharlmOpts) => run(o));
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) await configure(new Command('charlm')).parseAsync(process.argv);
