#!/usr/bin/env tsx
/**
 * `pnpm figures [producer ...] [--quick] [--list]`: makes the figures of the exercise guides
 * from real runs and writes them into `docs/figures/` (committed), with the manifest
 * `docs/figures/figures.json` that the docs build reads to place them.
 *
 * Producers:
 *
 * | name | what it runs | figures |
 * | --- | --- | --- |
 * | `lenet` | trains LeNet-5 on MNIST digits with the library (as `pnpm train lenet` does) | loss/accuracy curves, first-layer filters, feature maps of a test digit |
 * | `inception` | the library's cost counting (`inceptionMultiplies`, `convMultiplies`) | naive vs bottleneck multiplications |
 * | `depth` | `pnpm run depth` (its SVGs in `runs/depth/`) | gradient norm by depth, residual vs plain |
 * | `longterm` | `pnpm run longterm` (its SVGs in `runs/longterm/`) | gradient norm against time step, RNN vs LSTM |
 * | `fcn` | `pnpm train fcn` (its SVGs in `runs/fcn/`) | predicted segmentation masks |
 * | `transfer` | `pnpm train transfer` (its SVGs in `runs/transfer/`) | accuracy: frozen, fine-tuned, from scratch |
 * | `charlm` | `pnpm run charlm` (its SVGs in `runs/charlm/`) | loss of a character-level LSTM language model |
 *
 * A producer whose command does not exist yet is skipped with a message; the figures it made
 * before stay. `--quick` runs every producer on little data (a smoke test of the pipeline; the
 * manifest marks such figures `quick`). The external producers get `--quick` and `--out DIR`
 * when their command line has those options.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../root.js';
import { FIGURES_DIR, readFigureManifest, readPendingProducers, writeFigureManifest, type FigureEntry, type PendingProducer } from './manifest.js';
import { renderSvg, trainingCurvesSpec } from '../plot.js';
import { lenetPictures } from './lenet-pictures.js';

type Made = Omit<FigureEntry, 'producer' | 'quick' | 'command'>;

interface Producer {
  readonly name: string;
  readonly what: string;
  readonly command: string;
  /** Rough CPU seconds of a full run, to start the longest first when running in parallel. */
  readonly cost: number;
  /** Runs the producer; returns the figures written into docs/figures, or a reason to skip. */
  run(quick: boolean): Promise<Made[] | Skip>;
}

/** Why a producer did not make figures; `missing` when its command does not exist yet. */
interface Skip {
  readonly skip: string;
  readonly missing?: boolean;
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

// ---------------------------------------------------------------------------------------
// LeNet-5 on MNIST: curves, filters, feature maps from one training run

async function lenet(quick: boolean): Promise<Made[]> {
  const L = await import('@dlkata/layers');
  const T = await import('@dlkata/tensor');
  const cfg = quick
    ? { perClass: 60, epochs: 2, batch: 32, lr: 1e-3, shift: 2, seed: 0 }
    : { perClass: 400, epochs: 6, batch: 32, lr: 1e-3, shift: 2, seed: 0 };
  const split = L.mnistSplit({ seed: cfg.seed, pad: 2, perClass: cfg.perClass });
  const rng = new T.Rng(cfg.seed);
  const net = L.createNetwork(L.lenet5(), rng);
  const opt = new L.Adam({ lr: cfg.lr });
  const nTrain = split.train.labels.length;
  const nTest = split.test.labels.length;
  const points: { epoch: number; split: string; loss: number; accuracy: number }[] = [];
  let last = { loss: NaN, accuracy: NaN };
  for (let e = 1; e <= cfg.epochs; e++) {
    opt.lr = (cfg.lr * (1 + Math.cos((Math.PI * (e - 1)) / cfg.epochs))) / 2; // cosine decay, as pnpm train lenet
    // One thread, unlike `pnpm train lenet` (2 by default): the thread count groups the
    // gradient sums, so fixing it at 1 makes the figure replay bit for bit on any machine.
    const r = L.trainEpoch(net, split.train, opt, { batchSize: cfg.batch, rng, shift: cfg.shift });
    const ev = L.evaluate(net, split.test);
    last = ev;
    points.push({ epoch: e, split: 'train', loss: r.loss, accuracy: r.accuracy }, { epoch: e, split: 'test', loss: ev.loss, accuracy: ev.accuracy });
    console.log(`  lenet: epoch ${e}/${cfg.epochs}: train loss ${r.loss.toFixed(3)}, test accuracy ${pct(ev.accuracy)} (${r.seconds.toFixed(1)} s)`);
  }
  const settings = `${fmt(nTrain)} training and ${fmt(nTest)} test digits, ${cfg.epochs} epochs, batch ${cfg.batch}, Adam lr ${cfg.lr} with cosine decay, random shifts up to ${cfg.shift} px, seed ${cfg.seed}`;
  const made: Made[] = [];

  writeFileSync(path.join(FIGURES_DIR, 'lenet-curves.svg'), await renderSvg(trainingCurvesSpec(`LeNet-5 on MNIST: ${pct(last.accuracy)} test accuracy`, points)));
  made.push({
    file: 'lenet-curves.svg',
    title: 'LeNet-5 training curves',
    caption: `Softmax cross-entropy and accuracy per epoch of LeNet-5 (61,706 parameters) trained on real MNIST digits: ${settings}. Final test accuracy ${pct(last.accuracy)}. The training numbers are averaged over each epoch while the weights change (and on shifted digits), so they can lie below the test numbers.`,
    topics: ['cnn-architectures', 'lenet', 'architectures'],
  });

  const pictures = lenetPictures(net, split);
  writeFileSync(path.join(FIGURES_DIR, 'lenet-filters.svg'), pictures.filtersSvg);
  made.push({
    file: 'lenet-filters.svg',
    title: 'First-layer filters of a trained LeNet-5',
    caption: `The six 5x5 weights of LeNet-5's first convolution after training (${settings}). Each filter is a small edge or stroke detector: it responds where the digit's strokes match its red-positive, blue-negative pattern.`,
    topics: ['cnn-architectures', 'convolution'],
  });

  writeFileSync(path.join(FIGURES_DIR, 'lenet-feature-maps.svg'), pictures.featureMapsSvg);
  made.push({
    file: 'lenet-feature-maps.svg',
    title: 'Feature maps of a trained LeNet-5 on a real digit',
    caption: `One held-out MNIST digit through the trained LeNet-5: the outputs of the first convolution (after ReLU), of the first max pooling and of the second convolution. Going deeper, width and height shrink (28, 14, 10) while the number of channels grows (6, 16), as the lecture says. Each map is scaled to its own maximum. Trained with ${settings}.`,
    topics: ['cnn-architectures', 'pooling'],
  });
  return made;
}

// ---------------------------------------------------------------------------------------
// Inception cost: naive vs bottleneck

async function inception(): Promise<Made[]> {
  const L = await import('@dlkata/layers');
  const M = 1e6;
  const lectureDirect = L.convMultiplies([200, 32, 32], 92, 5, 1, 'same');
  const lectureReduce = L.convMultiplies([200, 32, 32], 16, 1);
  const lectureConv = L.convMultiplies([16, 32, 32], 92, 5, 1, 'same');
  const spec3a = { c1: 64, c3reduce: 96, c3: 128, c5reduce: 16, c5: 32, poolProj: 32 };
  const cost = L.inceptionMultiplies([192, 28, 28], spec3a);
  const naive = {
    c1: L.convMultiplies([192, 28, 28], 64, 1),
    c3: L.convMultiplies([192, 28, 28], 128, 3, 1, 'same'),
    c5: L.convMultiplies([192, 28, 28], 32, 5, 1, 'same'),
  };
  const naiveTotal = naive.c1 + naive.c3 + naive.c5;
  const row = (example: string, variant: string, part: string, n: number) => ({ example, variant, part, millions: n / M, exact: fmt(n) });
  const values = [
    row('lecture', `direct 5x5 conv: ${fmt(lectureDirect)}`, '5x5 conv', lectureDirect),
    row('lecture', `1x1 to 16, then 5x5: ${fmt(lectureReduce + lectureConv)}`, '1x1 reduce', lectureReduce),
    row('lecture', `1x1 to 16, then 5x5: ${fmt(lectureReduce + lectureConv)}`, '5x5 conv', lectureConv),
    row('3a', `naive module: ${fmt(naiveTotal)}`, '1x1 conv', naive.c1),
    row('3a', `naive module: ${fmt(naiveTotal)}`, '3x3 conv', naive.c3),
    row('3a', `naive module: ${fmt(naiveTotal)}`, '5x5 conv', naive.c5),
    row('3a', `with 1x1 reductions: ${fmt(cost.total)}`, '1x1 conv', cost.c1),
    row('3a', `with 1x1 reductions: ${fmt(cost.total)}`, '1x1 reduce', cost.c3reduce + cost.c5reduce),
    row('3a', `with 1x1 reductions: ${fmt(cost.total)}`, '3x3 conv', cost.c3),
    row('3a', `with 1x1 reductions: ${fmt(cost.total)}`, '5x5 conv', cost.c5),
    row('3a', `with 1x1 reductions: ${fmt(cost.total)}`, 'pool projection', cost.poolProj),
  ];
  const parts = ['1x1 reduce', '1x1 conv', '3x3 conv', '5x5 conv', 'pool projection'];
  const panel = (example: string, title: string) => ({
    title,
    width: 460,
    height: 70,
    transform: [{ filter: `datum.example === '${example}'` }],
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'variant', type: 'nominal', title: null, sort: null, axis: { labelLimit: 260 } },
      x: { field: 'millions', type: 'quantitative', title: 'multiplications (millions)', stack: 'zero' },
      color: { field: 'part', type: 'nominal', title: 'convolution', scale: { domain: parts } },
      order: { field: 'part', sort: 'ascending' },
      tooltip: [{ field: 'part' }, { field: 'exact', title: 'multiplications' }],
    },
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Inception cost: multiplications of one forward pass of one example',
    data: { values },
    vconcat: [
      panel('lecture', '32x32x200 input to 32x32x92 with 5x5 filters (the lecture)'),
      panel('3a', 'GoogLeNet inception (3a) on 28x28x192 (Szegedy et al. 2015)'),
    ],
    resolve: { scale: { color: 'shared' } },
    config: { font: 'sans-serif' },
  };
  writeFileSync(path.join(FIGURES_DIR, 'inception-cost.svg'), await renderSvg(spec as Parameters<typeof renderSvg>[0]));
  return [
    {
      file: 'inception-cost.svg',
      title: 'Inception cost: naive vs 1x1 bottleneck',
      caption: `Multiplications counted by the library (\`convMultiplies\`, \`inceptionMultiplies\`). Top: the lecture's example, a 5x5 convolution with 92 filters on 32x32x200 needs ${fmt(lectureDirect)} multiplications; squeezing to 16 channels with a 1x1 convolution first needs ${fmt(lectureReduce)} + ${fmt(lectureConv)} = ${fmt(lectureReduce + lectureConv)}, about a tenth. Bottom: GoogLeNet's inception (3a) with and without its 1x1 reductions (${fmt(naiveTotal)} vs ${fmt(cost.total)}; the paper's table lists 128M).`,
      topics: ['inception', 'cnn-architectures'],
    },
  ];
}

// ---------------------------------------------------------------------------------------
// External producers: commands other parts of the project provide

interface External {
  readonly name: string;
  readonly what: string;
  readonly cost: number;
  /** Command shown to people. */
  readonly command: string;
  /** How to run it: `[cmd, ...args]`, or why it cannot run yet. */
  locate(): { argv: string[]; source: string } | { skip: string };
  /** Folder the command writes its SVGs into (when it has no `--out`). */
  readonly outDir: string;
  readonly title: string;
  readonly caption: string;
  /** Titles and captions of the SVGs the command is known to write, by file name without `.svg`. */
  readonly files?: Readonly<Record<string, { readonly title: string; readonly caption: string; readonly topics?: readonly string[] }>>;
  readonly topics: readonly string[];
  /** Arguments for `--quick` when the command has no `--quick` of its own (little data, few epochs). */
  readonly quickArgs?: readonly string[];
}

function rootScripts(): Record<string, string> {
  return (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
}

/** A root `package.json` script, and the source file it runs (`tsx path/to/file.ts ...`). */
function rootScript(name: string): { argv: string[]; source: string } | { skip: string } {
  const cmd = rootScripts()[name];
  if (!cmd) return { skip: `there is no \`${name}\` script in package.json yet` };
  const file = /(?:tsx|node)\s+(\S+\.[cm]?[jt]s)/.exec(cmd)?.[1];
  const source = file && existsSync(path.join(ROOT, file)) ? readFileSync(path.join(ROOT, file), 'utf8') : '';
  return { argv: ['pnpm', '--silent', 'run', name], source };
}

/** A sub-command of `pnpm train` (commander), and its help text as the "source". */
function trainCommand(sub: string): { argv: string[]; source: string } | { skip: string } {
  const cli = path.join(ROOT, 'packages/lab/src/cli/train.ts');
  const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
  if (!existsSync(cli) || !rootScripts().train) return { skip: 'there is no `pnpm train` yet' };
  const help = spawnSync(tsx, [cli, sub, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const text = `${help.stdout ?? ''}${help.stderr ?? ''}`;
  if (help.status !== 0 || !/Usage: train .*\b/.test(text) || /unknown command/i.test(text) || !new RegExp(`Usage: train ${sub}\\b`).test(text)) {
    return { skip: `\`pnpm train ${sub}\` does not exist yet` };
  }
  return { argv: ['pnpm', '--silent', 'train', sub], source: text };
}

const EXTERNAL: External[] = [
  {
    name: 'depth',
    cost: 120,
    what: 'gradient norm by depth, residual vs plain (pnpm run depth)',
    command: 'pnpm run depth',
    locate: () => rootScript('depth'),
    outDir: 'runs/depth',
    title: 'The problem of depth: gradient norms, residual vs plain',
    caption:
      'Plain and residual stacks of 3x3 convolutions on small MNIST digits, of depth 4 to 32, with the same weights: they differ only by the skip connections. Against depth: the norm of the gradient that reaches the first layer at initialisation (log scale), and the training loss after a fixed number of steps. In the plain stack the gradient shrinks with every layer it passes back through; the skips carry it past every block.',
    topics: ['residual', 'depth'],
  },
  {
    name: 'longterm',
    cost: 25,
    what: 'gradient norm against time step, RNN vs LSTM (pnpm run longterm)',
    command: 'pnpm run longterm',
    locate: () => rootScript('longterm'),
    outDir: 'runs/longterm',
    title: 'Long-term dependencies: gradient norm against time step, RNN vs LSTM',
    caption: 'How much of the loss gradient reaches each earlier time step, for a vanilla RNN and an LSTM.',
    files: {
      accuracy: {
        topics: ['lstm', 'long-term', 'rnn'],
        title: 'Long-term dependencies: accuracy against sequence length, RNN vs LSTM',
        caption:
          'A vanilla RNN and an LSTM with the same hidden size, data and training budget learn to recall the first symbol of a sequence of length T (the answer lies T - 1 steps back); held-out accuracy against T, chance level dashed. The lecture\'s "I moved to Germany ... so I speak German fluently", measured.',
      },
      'gradient-norms': {
        title: 'Gradient reaching each time step, RNN vs LSTM',
        caption:
          'The norm of the loss gradient with respect to each hidden state, `||dL/dh_t||`, against the time step t for the longest sequences, before training (dashed) and after (solid). Through the vanilla RNN it shrinks geometrically on its way back to the first steps; through the untrained LSTM, whose forget gates start open, it stays nearly flat.',
      },
      'gradient-regimes': {
        title: 'Vanishing and exploding gradients: the regimes',
        caption:
          'The lecture\'s `A_t = theta^t A_0`: `||dL/dh_t||` against t for recurrent weights with spectral radius below 1 (vanishes), at 1 and above 1 (explodes: the case for gradient clipping), and for tanh in its linear range and saturated (vanishes whatever the weights).',
      },
    },
    topics: ['long-term', 'vanishing', 'lstm', 'clip', 'rnn'],
  },
  {
    name: 'fcn',
    cost: 180,
    what: 'predicted segmentation masks (pnpm train fcn)',
    command: 'pnpm train fcn',
    locate: () => trainCommand('fcn'),
    outDir: 'runs/fcn',
    quickArgs: ['--epochs', '1', '--train', '200', '--test', '50', '--examples', '4'],
    title: 'Fully convolutional segmentation: predicted masks',
    caption: 'Inputs, true masks and the masks a trained fully convolutional network predicts, pixel by pixel.',
    topics: ['fcn', 'segment', 'fully-conv'],
  },
  {
    name: 'transfer',
    cost: 100,
    what: 'transfer learning, frozen vs fine-tuned vs from scratch (pnpm train transfer)',
    command: 'pnpm train transfer',
    locate: () => trainCommand('transfer'),
    outDir: 'runs/transfer',
    quickArgs: ['--pretrain-epochs', '1', '--per-class', '10', '--epochs', '3'],
    title: 'Transfer learning: test accuracy on new classes',
    caption: 'LeNet-5 pre-trained on the MNIST digits 0-4, then trained on the digits 5-9 with its early layers frozen, fine-tuned, or from scratch: test accuracy of each.',
    topics: ['transfer'],
  },
  {
    name: 'charlm',
    cost: 40,
    what: 'character-level LSTM language model, loss per epoch (pnpm run charlm)',
    command: 'pnpm run charlm',
    locate: () => rootScript('charlm'),
    outDir: 'runs/charlm',
    title: 'A character-level LSTM language model: training loss',
    caption: 'Cross-entropy per character of an LSTM language model trained with truncated backprop through time.',
    topics: ['lstm', 'charlm', 'language'],
  },
];

function listSvgs(dir: string, since: number): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listSvgs(p, since));
    else if (e.name.endsWith('.svg') && statSync(p).mtimeMs >= since) out.push(p);
  }
  return out.sort();
}

function runCommand(argv: string[], timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], detached: true, env: { ...process.env, INIT_CWD: ROOT } });
    const timer = setTimeout(() => {
      console.error(`  ${argv.join(' ')}: still running after ${timeoutMs / 1000} s; stopped`);
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 1 : 0));
    });
    child.on('error', () => {
      clearTimeout(timer);
      resolve(127);
    });
  });
}

function external(p: External): Producer {
  return {
    name: p.name,
    what: p.what,
    command: p.command,
    cost: p.cost,
    async run(quick) {
      const loc = p.locate();
      if ('skip' in loc) return { skip: loc.skip, missing: true };
      const argv = [...loc.argv];
      // pnpm passes arguments after the script name on to it.
      const tmp = /['"`]--out\b/.test(loc.source) || /--out\s/.test(loc.source) ? mkdtempSync(path.join(tmpdir(), `dlkata-figures-${p.name}-`)) : null;
      if (tmp) argv.push('--out', tmp);
      if (quick && /--quick\b/.test(loc.source)) argv.push('--quick');
      else if (quick && p.quickArgs) argv.push(...p.quickArgs);
      else if (quick) console.log(`  ${p.name}: the command has no --quick option; running it as it is`);
      const since = Date.now() - 1000;
      console.log(`  $ ${argv.join(' ')}`);
      const code = await runCommand(argv, 15 * 60_000);
      const svgs = listSvgs(tmp ?? path.join(ROOT, p.outDir), since);
      try {
        if (code !== 0) return { skip: `\`${argv.join(' ')}\` failed (exit code ${code}); its earlier figures are kept` };
        if (svgs.length === 0) return { skip: `\`${argv.join(' ')}\` wrote no SVG into ${tmp ? 'its --out folder' : p.outDir}` };
        return copyFigures(p, svgs);
      } finally {
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}

function copyFigures(p: External, svgs: readonly string[]): Made[] {
  return svgs.map((file, i) => {
    const base = path.basename(file, '.svg');
    const name = base === p.name ? `${base}.svg` : `${p.name}-${base}.svg`;
    const text = readFileSync(file, 'utf8');
    if (!/<svg[\s>]/.test(text)) throw new Error(`${file} is not an SVG`);
    copyFileSync(file, path.join(FIGURES_DIR, name));
    const known = p.files?.[base];
    return {
      file: name,
      title: known?.title ?? (svgs.length > 1 ? `${p.title} (${base.replace(/[-_]/g, ' ')})` : p.title),
      caption: `${known?.caption ?? p.caption}${svgs.length > 1 ? ` (Its output ${i + 1} of ${svgs.length}, \`${path.basename(file)}\`.)` : ''}`,
      topics: known?.topics ?? p.topics,
    };
  });
}

// ---------------------------------------------------------------------------------------

const PRODUCERS: Producer[] = [
  { name: 'lenet', cost: 60, what: 'LeNet-5 on MNIST: training curves, first-layer filters, feature maps (library training loop)', command: 'pnpm figures lenet', run: lenet },
  { name: 'inception', cost: 1, what: 'inception cost, naive vs bottleneck (library cost counting)', command: 'pnpm figures inception', run: inception },
  ...EXTERNAL.map(external),
];

function usage(): string {
  return [
    'Usage: pnpm figures [producer ...] [--quick] [--jobs N] [--list]',
    '',
    "Makes the guides' figures from real runs into docs/figures/ (committed) and updates docs/figures/figures.json.",
    '  --quick    little data and few epochs: checks the pipeline in a minute or two (do not commit such figures)',
    '  --jobs N   producers run at the same time, each in its own process (default: 2, at most the CPUs)',
    '  --list     list the producers and whether they can run now',
    '',
    'Producers:',
    ...PRODUCERS.map((p) => `  ${p.name.padEnd(10)} ${p.what}`),
  ].join('\n');
}

const RESULT = '@@figures-result ';

/** Child mode (`--run-one NAME`): runs one producer and prints its result as one JSON line. */
async function runOne(name: string, quick: boolean): Promise<number> {
  const p = PRODUCERS.find((x) => x.name === name)!;
  let result: Made[] | Skip;
  try {
    result = await p.run(quick);
  } catch (e) {
    console.error(`${name} failed: ${(e as Error).stack ?? e}`);
    result = { skip: `failed: ${(e as Error).message.split('\n')[0]}` };
    console.log(RESULT + JSON.stringify({ failed: true, ...result }));
    return 1;
  }
  console.log(RESULT + JSON.stringify(result));
  return 0;
}

/** Runs `--run-one NAME` in a child process, its output shown line by line with a `[NAME]` prefix. */
function spawnOne(name: string, quick: boolean): Promise<Made[] | (Skip & { failed?: boolean })> {
  return new Promise((resolve) => {
    const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
    const child = spawn(tsx, [fileURLToPath(import.meta.url), '--run-one', name, ...(quick ? ['--quick'] : [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let result: Made[] | (Skip & { failed?: boolean }) = { skip: 'the producer ended without a result', failed: true };
    const prefix = `[${name}] `;
    const lines = (stream: NodeJS.ReadableStream, write: (s: string) => void) => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        const parts = buf.split(/\r?\n|\r/);
        buf = parts.pop() ?? '';
        for (const line of parts) {
          if (line.startsWith(RESULT)) result = JSON.parse(line.slice(RESULT.length));
          else if (line.trim() !== '') write(prefix + line);
        }
      });
      stream.on('end', () => {
        if (buf.trim() !== '') write(prefix + buf);
      });
    };
    lines(child.stdout!, (l) => console.log(l));
    lines(child.stderr!, (l) => console.error(l));
    child.on('close', () => resolve(result));
    child.on('error', (e) => resolve({ skip: `could not start: ${e.message}`, failed: true }));
  });
}

async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== '--');
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage());
    return 0;
  }
  const quick = args.includes('--quick');
  const one = args.indexOf('--run-one');
  if (one >= 0) return runOne(args[one + 1], quick);
  let jobs = Math.min(2, availableParallelism());
  const j = args.indexOf('--jobs');
  if (j >= 0) {
    jobs = Number(args[j + 1]);
    if (!Number.isInteger(jobs) || jobs < 1) {
      console.error(`--jobs needs an integer >= 1, got ${args[j + 1]}\n\n${usage()}`);
      return 2;
    }
    args.splice(j, 2);
  }
  const unknownFlag = args.find((a) => a.startsWith('-') && a !== '--quick' && a !== '--list');
  if (unknownFlag) {
    console.error(`Unknown option ${unknownFlag}\n\n${usage()}`);
    return 2;
  }
  const names = args.filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !PRODUCERS.some((p) => p.name === n));
  if (unknown.length) {
    console.error(`Unknown producer ${unknown.join(', ')}\n\n${usage()}`);
    return 2;
  }
  if (args.includes('--list')) {
    for (const p of PRODUCERS) {
      const ext = EXTERNAL.find((e) => e.name === p.name);
      const loc = ext?.locate();
      console.log(`${p.name.padEnd(10)} ${loc && 'skip' in loc ? `not available: ${loc.skip}` : 'ready'}  (${p.what})`);
    }
    return 0;
  }
  mkdirSync(FIGURES_DIR, { recursive: true });
  const chosen = names.length ? PRODUCERS.filter((p) => names.includes(p.name)) : PRODUCERS;
  let manifest = readFigureManifest();
  let pending: PendingProducer[] = readPendingProducers();
  const t0 = performance.now();
  const summary = new Map<string, string>();
  let failed = 0;
  console.log(`Running ${chosen.map((p) => p.name).join(', ')}${quick ? ' (quick)' : ''}, ${jobs} at a time; each line is prefixed with its producer.`);

  const finish = (p: Producer, result: Made[] | (Skip & { failed?: boolean }), secs: string): void => {
    if ('skip' in result) {
      if (result.failed) failed++;
      console.log(`[${p.name}] ${result.failed ? 'FAILED' : 'skipped'}: ${result.skip}`);
      summary.set(p.name, `${result.failed ? 'FAILED' : 'skipped'}: ${result.skip}`);
      if (result.missing) {
        pending = [...pending.filter((x) => x.producer !== p.name), { producer: p.name, command: p.command, what: p.what, reason: result.skip }];
        writeFigureManifest(manifest, pending);
      }
      return;
    }
    pending = pending.filter((x) => x.producer !== p.name);
    const made = result.map((m): FigureEntry => ({ ...m, producer: p.name, command: p.command, quick }));
    // Replace this producer's earlier figures (and delete files it no longer makes).
    for (const old of manifest.filter((f) => f.producer === p.name && !made.some((m) => m.file === f.file))) {
      rmSync(path.join(FIGURES_DIR, old.file), { force: true });
    }
    manifest = [...manifest.filter((f) => f.producer !== p.name), ...made];
    // Keep the order of the producer table, whatever order they finish in.
    manifest.sort((a, b) => PRODUCERS.findIndex((x) => x.name === a.producer) - PRODUCERS.findIndex((x) => x.name === b.producer));
    writeFigureManifest(manifest, pending);
    console.log(`[${p.name}] done in ${secs} s`);
    summary.set(p.name, `${made.map((m) => `docs/figures/${m.file}`).join(', ')} (${secs} s)`);
  };

  // Longest first: with two at a time, the two halves then end at about the same time.
  const queue = [...chosen].sort((a, b) => b.cost - a.cost);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const p = queue[next++];
      const start = performance.now();
      const result = await spawnOne(p.name, quick);
      finish(p, result, ((performance.now() - start) / 1000).toFixed(1));
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, chosen.length) }, worker));

  console.log(`\nFigures (${((performance.now() - t0) / 1000).toFixed(0)} s${quick ? ', quick: do not commit these' : ''}):`);
  for (const p of chosen) console.log(`  ${p.name.padEnd(10)} ${summary.get(p.name)}`);
  console.log('Run `pnpm run docs` to put them into the guides.');
  return failed ? 1 : 0;
}

process.exit(await main(process.argv.slice(2)));
