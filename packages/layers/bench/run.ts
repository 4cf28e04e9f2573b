/**
 * `pnpm bench`: performance of the library's hot paths against baselines measured in the same
 * run, printed as tables. `pnpm bench -- --quick` is a short run (fewer repetitions, the slowest
 * baseline on a smaller batch, scaled and labelled); `--only conv2d,gemm` picks cases.
 *
 * Every case checks its answers against a plain-loop oracle before it times them (the one long
 * TensorFlow.js run is checked on that run's own output), so a fast wrong answer fails the run
 * (exit code 1) instead of being reported. To add a benchmark, write a {@link BenchCase}
 * in `cases/` and append it to {@link CASES}.
 *
 * @module
 */
import os from 'node:os';
import { conv2dCase } from './cases/conv2d.js';
import { gemmCase } from './cases/gemm.js';
import { lenetCase } from './cases/lenet.js';
import { maxPool2dCase } from './cases/maxpool2d.js';
import { numpyCase } from './cases/numpy.js';
import { studentLoopCase } from './cases/student-loop.js';
import { BenchCheckError, formatMs, formatRatio, type BenchCase, type BenchContext, type CaseResult } from './harness.js';
import { renderTable } from './table.js';

/** The benchmarks, in the order they run. New cases go here. */
const CASES: readonly BenchCase[] = [gemmCase, conv2dCase, maxPool2dCase, lenetCase, studentLoopCase, numpyCase];

const USAGE = `usage: pnpm bench [-- --quick] [-- --only NAME[,NAME...]]
  --quick        short run: fewer repetitions; tfjs forward+backward on 4 images, time scaled
  --only NAMES   run only these cases: ${CASES.map((c) => c.name).join(', ')}
  --help         this text`;

interface Args {
  readonly quick: boolean;
  readonly only: readonly string[] | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let only: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') continue; // pnpm may pass the separator through
    if (a === '--quick') quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (!v) throw new Error('--only needs a list of case names');
      only = v.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = only.filter((n) => !CASES.some((c) => c.name === n));
      if (unknown.length > 0) throw new Error(`unknown case ${unknown.join(', ')}; cases: ${CASES.map((c) => c.name).join(', ')}`);
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return { quick, only };
}

function machine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  return `Node ${process.version}, ${model}, ${cpus.length} logical cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

function report(results: ReadonlyArray<{ c: BenchCase; r: CaseResult }>, quick: boolean): string {
  const out: string[] = [];
  const timings = results.flatMap(({ r }) => r.timings);
  out.push(
    'Timings: median of the timed runs after warm-up. ms = wall clock; CPU ms = process user+system time, which',
    'leaves out time lost to other processes but includes V8 helper threads (GC), so it can exceed ms.',
    'GFLOP/s: forward 2*N*F*C*KH*KW*OH*OW (2*M*N*K for GEMM); backward counts 2x forward.',
    renderTable(
      ['benchmark', 'implementation', 'ms', 'CPU ms', 'runs', 'throughput', 'note'],
      timings.map((t) => [t.bench, t.impl, formatMs(t.ms), formatMs(t.cpuMs), String(t.runs), t.throughput, t.note ?? '']),
      ['left', 'left', 'right', 'right', 'right', 'right', 'left'],
    ),
    '',
  );
  const comps = results.flatMap(({ r }) => r.comparisons);
  out.push(
    'Ratios against the baselines measured in this run (baseline time / subject time).',
    renderTable(
      ['benchmark', 'comparison', 'wall clock', 'CPU time', 'goal'],
      comps.map((c) => [
        c.bench,
        `${c.subject} vs ${c.baseline}`,
        formatRatio(c.ratio),
        formatRatio(c.cpuRatio),
        c.goal === undefined ? '' : `>= ${c.goal}x: ${c.ratio >= c.goal ? 'met' : 'NOT met'}`,
      ]),
      ['left', 'left', 'right', 'right', 'left'],
    ),
    '',
  );
  const checks = results.flatMap(({ r }) => r.checks);
  out.push(
    'Answers checked (max |got - want| / max |want|; float64 oracle: the plain loops).',
    renderTable(
      ['benchmark', 'check', 'error', 'tolerance'],
      checks.map((c) => [c.bench, c.what, c.error === 0 ? '0 (identical)' : c.error.toExponential(2), c.tolerance.toExponential(0)]),
      ['left', 'left', 'right', 'right'],
    ),
  );
  if (quick) out.push('', 'Quick run: fewer repetitions; the tfjs forward+backward time is measured on a smaller batch and scaled (see note).');
  return out.join('\n');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const selected = args.only ? CASES.filter((c) => args.only!.includes(c.name)) : CASES;
  const t0 = performance.now();
  console.log(`dlkata benchmarks (${args.quick ? 'quick' : 'full'} run)`);
  console.log(machine());
  const ctx: BenchContext = { quick: args.quick, progress: (m) => process.stderr.write(`  ... ${m}\n`) };
  const results: Array<{ c: BenchCase; r: CaseResult }> = [];
  let failed = 0;
  for (const c of selected) {
    process.stderr.write(`${c.name}: ${c.title}\n`);
    try {
      results.push({ c, r: await c.run(ctx) });
    } catch (e) {
      failed++;
      if (e instanceof BenchCheckError) console.error(`FAILED ${c.name}: wrong answer, no timings reported: ${e.message}`);
      else console.error(`FAILED ${c.name}:`, e);
    }
  }
  console.log('');
  console.log(report(results, args.quick));
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s${failed > 0 ? `, ${failed} case(s) FAILED` : ''}`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  },
);
