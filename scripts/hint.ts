#!/usr/bin/env tsx
/**
 * `pnpm hint <exercise> [task] [--all | --reset]`: the hints of an exercise's HINTS.md, one
 * level at a time.
 *
 * ```
 * pnpm hint                 # which exercises have hints, and how many you have seen
 * pnpm hint 05              # the next hint of every task of exercise 05 (level 1, then 2, ...)
 * pnpm hint 05-residual 2   # task 2: the hints seen so far and the next one
 * pnpm hint 05 2 --all      # every hint of task 2 (or of the exercise, without a task)
 * pnpm hint 05 --reset      # hide them all again (or one task's: pnpm hint 05 2 --reset)
 * ```
 *
 * A task's levels are the items under its `## Task N: ...` heading in HINTS.md, from vague to
 * concrete. How many of each task you have seen is kept in
 * `node_modules/.cache/dlkata/hints.json` (not committed; delete it or use `--reset`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findExercise, listExercises, parseHints, ROOT, type Exercise, type HintTask } from './lib-docs.js';

const STATE = path.join(ROOT, 'node_modules', '.cache', 'dlkata', 'hints.json');
const STATE_SHOWN = path.relative(ROOT, STATE).split(path.sep).join('/');

/** Hints seen: exercise id -> task number -> number of levels revealed. */
type State = Record<string, Record<string, number>>;

function load(): State {
  try {
    return existsSync(STATE) ? (JSON.parse(readFileSync(STATE, 'utf8')) as State) : {};
  } catch {
    return {};
  }
}

function save(state: State): void {
  mkdirSync(path.dirname(STATE), { recursive: true });
  writeFileSync(STATE, JSON.stringify(state, null, 2) + '\n');
}

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s: string): string => (tty ? `\x1b[1m${s}\x1b[22m` : s);
const dim = (s: string): string => (tty ? `\x1b[2m${s}\x1b[22m` : s);
const cyan = (s: string): string => (tty ? `\x1b[36m${s}\x1b[39m` : s);
/** Markdown code spans in colour, the backticks kept off when coloured. */
const md = (s: string): string => (tty ? s.replace(/``\s?(.+?)\s?``|`([^`]+)`/g, (_, a: string | undefined, b: string | undefined) => cyan(a ?? b ?? '')) : s);

function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');
}

function printLevel(task: HintTask, level: number, fresh: boolean): void {
  const head = `  Hint ${level} of ${task.levels.length}${fresh ? bold(' (new)') : ''}`;
  console.log(fresh ? head : dim(head));
  console.log(indent(md(task.levels[level - 1])));
  console.log();
}

const USAGE = `Usage: pnpm hint <exercise> [task] [--all | --reset]

  pnpm hint 05              the next hint of every task of exercise 05
  pnpm hint 05-residual 2   the next hint of task 2 (with the ones seen before)
  pnpm hint 05 2 --all      every hint of task 2 (without a task: of the exercise)
  pnpm hint 05 --reset      hide the hints of exercise 05 again (or of one task)`;

function overview(exercises: readonly Exercise[], state: State): void {
  console.log(USAGE);
  console.log('\nHints seen so far:');
  for (const ex of exercises) {
    const tasks = parseHints(ex.hintsText).tasks;
    const total = tasks.reduce((a, t) => a + t.levels.length, 0);
    const seen = tasks.reduce((a, t) => a + Math.min(t.levels.length, state[ex.id]?.[t.num] ?? 0), 0);
    console.log(`  ${ex.id.padEnd(26)} ${total ? `${seen} of ${total} hints in ${tasks.length} tasks` : 'no HINTS.md'}`);
  }
}

function main(argv: string[]): number {
  const args = argv.filter((a) => a !== '--');
  const flags = new Set(args.filter((a) => a.startsWith('-')));
  const pos = args.filter((a) => !a.startsWith('-'));
  const known = new Set(['--all', '--reset', '--help', '-h']);
  const bad = [...flags].find((f) => !known.has(f));
  if (bad) {
    console.error(`Unknown option ${bad}\n\n${USAGE}`);
    return 2;
  }
  const exercises = listExercises();
  const state = load();
  if (flags.has('--help') || flags.has('-h')) {
    console.log(USAGE);
    return 0;
  }
  // pnpm runs scripts from the root; INIT_CWD is where the command was typed. A path
  // argument is relative to it, and inside an exercise folder the exercise is the default.
  const userCwd = process.env.INIT_CWD ?? process.cwd();
  if (pos.length > 0 && !/^\d{1,2}$/.test(pos[0]) && existsSync(path.resolve(userCwd, pos[0]))) pos[0] = path.basename(path.resolve(userCwd, pos[0]));
  const here = path.relative(path.join(ROOT, 'exercises'), userCwd).split(path.sep)[0];
  if (pos.length === 0 && exercises.some((e) => e.id === here)) pos.push(here);
  if (pos.length === 0) {
    overview(exercises, state);
    return 0;
  }
  if (pos.length > 2) {
    console.error(`Too many arguments: ${pos.join(' ')}\n\n${USAGE}`);
    return 2;
  }
  const ex = findExercise(pos[0], exercises);
  if (typeof ex === 'string') {
    console.error(ex);
    return 2;
  }
  const hints = parseHints(ex.hintsText);
  if (hints.tasks.length === 0) {
    console.error(`exercises/${ex.id} has no hints (no "## Task N: ..." headings in its HINTS.md).`);
    return 1;
  }
  let tasks = hints.tasks;
  if (pos[1] !== undefined) {
    const n = Number(pos[1].replace(/^task/i, ''));
    const t = hints.tasks.find((x) => x.num === n);
    if (!t) {
      console.error(`exercises/${ex.id} has no task ${pos[1]}; its tasks: ${hints.tasks.map((x) => `${x.num} (${x.title})`).join(', ')}`);
      return 2;
    }
    tasks = [t];
  }
  const seen = (state[ex.id] ??= {});
  const where = `exercises/${ex.id}${pos[1] !== undefined ? `, task ${tasks[0].num}` : ''}`;

  if (flags.has('--reset')) {
    for (const t of tasks) delete seen[t.num];
    save(state);
    console.log(`Hints of ${where} hidden again.`);
    return 0;
  }

  console.log(bold(`Hints for exercise ${ex.num}: ${ex.title}`) + dim(`  (${where})`));
  console.log();

  if (flags.has('--all')) {
    for (const t of tasks) {
      console.log(bold(`Task ${t.num}: ${t.title}`));
      t.levels.forEach((_, i) => printLevel(t, i + 1, i + 1 > (seen[t.num] ?? 0)));
      seen[t.num] = t.levels.length;
    }
    save(state);
    return 0;
  }

  if (tasks.length === 1) {
    // One task: what was seen, then the next level.
    const t = tasks[0];
    const before = Math.min(seen[t.num] ?? 0, t.levels.length);
    const now = Math.min(before + 1, t.levels.length);
    console.log(bold(`Task ${t.num}: ${t.title}`));
    for (let l = 1; l <= now; l++) printLevel(t, l, l > before);
    seen[t.num] = now;
    save(state);
    if (now === before) console.log(dim(`  That was the last hint of task ${t.num}. The guide's task section and "The math" have the rest.`));
    else if (now < t.levels.length) console.log(dim(`  Run the same command again for hint ${now + 1} of ${t.levels.length}.`));
    else console.log(dim(`  That was the last hint of task ${t.num}.`));
    return 0;
  }

  // The whole exercise: one more level of every task that has one.
  const open = tasks.filter((t) => (seen[t.num] ?? 0) < t.levels.length);
  if (open.length === 0) {
    console.log(`You have seen every hint of exercise ${ex.num}. \`pnpm hint ${ex.num} <task> --all\` shows a task's again.`);
    return 0;
  }
  const level = Math.min(...open.map((t) => seen[t.num] ?? 0)) + 1;
  for (const t of tasks) {
    const s = seen[t.num] ?? 0;
    if (s < level && level <= t.levels.length) {
      console.log(bold(`Task ${t.num}: ${t.title}`));
      printLevel(t, level, true);
      seen[t.num] = level;
    } else if (level > t.levels.length) {
      console.log(dim(`Task ${t.num}: ${t.title}: all ${t.levels.length} hints seen`));
      console.log();
    } else {
      console.log(dim(`Task ${t.num}: ${t.title}: hint ${level} seen before (pnpm hint ${ex.num} ${t.num} shows it)`));
      console.log();
    }
  }
  save(state);
  const more = tasks.some((t) => (seen[t.num] ?? 0) < t.levels.length);
  console.log(
    dim(
      more
        ? `Level ${level} shown. Run the same command for the next level, or \`pnpm hint ${ex.num} <task>\` for one task (it also repeats the hints seen before).`
        : `That was the last level. \`pnpm hint ${ex.num} <task> --all\` shows a task's hints again.`,
    ),
  );
  console.log(dim(`(Seen hints are remembered in ${STATE_SHOWN}; \`pnpm hint ${ex.num} --reset\` forgets them.)`));
  return 0;
}

process.exit(main(process.argv.slice(2)));
