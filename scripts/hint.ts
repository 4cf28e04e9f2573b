#!/usr/bin/env tsx
/**
 * `pnpm hint [exercise] [task] [--all | --reset]`: the hints of an exercise's HINTS.md, one
 * level of one task at a time.
 *
 * ```
 * pnpm hint                 # every exercise: how many hints you have seen
 * pnpm hint 05              # exercise 05: its tasks and how far you are in each (reveals nothing)
 * pnpm hint 05 2            # task 2: the hints seen so far and the next one
 * pnpm hint 05 2 --all      # every hint of task 2
 * pnpm hint 05 --reset      # hide them all again (or one task's: pnpm hint 05 2 --reset)
 * ```
 *
 * Inside an exercise folder the exercise is implied: `pnpm hint` shows its status and
 * `pnpm hint 2` the next hint of its task 2. The exercise is named as everywhere else
 * (`05`, `residual`, `exercises/05-residual`, a file of it), and a name is read as an exercise
 * first: inside `exercises/02-convolution`, `pnpm hint 05` and `pnpm hint residual` mean
 * exercise 05, as `pnpm test 05` does. A lone number without a leading zero (`2`, or `task2`)
 * is a task of the exercise you are in when it has that task; otherwise it is an exercise.
 *
 * A task's levels are the items under its `## Task N: ...` heading in HINTS.md, from a nudge
 * to the idea to the key equation. How far you are in each task is kept in the exercise folder,
 * in `.hints.json` (a dot-file nothing else writes; delete it or use `--reset` to start over).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exerciseHere, resolveExercise } from './exercise-names.mjs';
import { listExercises, parseHints, ROOT, type Exercise, type HintTask } from './lib-docs.js';

/** The state file of one exercise: task number -> number of levels revealed. */
const STATE_FILE = '.hints.json';
type TaskState = Record<string, number>;

function load(ex: Exercise): TaskState {
  try {
    const file = path.join(ex.dir, STATE_FILE);
    const parsed = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { seen?: TaskState }) : {};
    return parsed.seen ?? {};
  } catch {
    return {};
  }
}

function save(ex: Exercise, seen: TaskState): void {
  const body = { about: 'How many hints of each task you have seen (pnpm hint). Delete this file to start over.', seen };
  writeFileSync(path.join(ex.dir, STATE_FILE), `${JSON.stringify(body, null, 2)}\n`);
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

const USAGE = `Usage: pnpm hint [exercise] [task] [--all | --reset]

  pnpm hint 05              exercise 05: its tasks and the hints you have seen (reveals nothing)
  pnpm hint 05 2            the next hint of task 2 (with the ones seen before)
  pnpm hint 05 2 --all      every hint of task 2 (without a task: of the exercise)
  pnpm hint 05 --reset      hide the hints of exercise 05 again (or of one task)
  Inside an exercise folder the exercise is implied: pnpm hint (its status), pnpm hint 2
  (its task 2; also task2). A name is an exercise first: pnpm hint 05, pnpm hint residual
  mean exercise 05 there too. A number without a leading zero (2, 12) is a task of the
  exercise you are in when it has that task, else an exercise; 05 is always exercise 05.`;

function overview(exercises: readonly Exercise[]): void {
  console.log(USAGE);
  console.log('\nHints seen so far:');
  for (const ex of exercises) {
    const tasks = parseHints(ex.hintsText).tasks;
    const state = load(ex);
    const total = tasks.reduce((a, t) => a + t.levels.length, 0);
    const seen = tasks.reduce((a, t) => a + Math.min(t.levels.length, state[t.num] ?? 0), 0);
    console.log(`  ${ex.id.padEnd(26)} ${total ? `${seen} of ${total} hints in ${tasks.length} tasks` : 'no HINTS.md'}`);
  }
}

/** The exercise's tasks and how far the student is in each; reveals nothing. */
function status(ex: Exercise, tasks: readonly HintTask[], seen: TaskState, cmd: string): void {
  console.log(bold(`Hints for exercise ${ex.num}: ${ex.title}`) + dim(`  (exercises/${ex.id})`));
  console.log();
  for (const t of tasks) {
    const s = Math.min(seen[t.num] ?? 0, t.levels.length);
    const state = s === 0 ? 'none seen yet' : s === t.levels.length ? `all ${s} seen` : `${s} of ${t.levels.length} seen`;
    console.log(`  Task ${t.num}: ${t.title.padEnd(28)} ${t.levels.length} hints, ${state}`);
  }
  console.log();
  console.log(dim(`  \`${cmd} <task>\` shows the next hint of one task (and the ones you have seen), e.g. \`${cmd} ${tasks[0]?.num ?? 1}\`.`));
  console.log(dim(`  Each hint is a little more concrete: a nudge, then the idea, then the key equation.`));
}

/**
 * Inside exercise `here`, whether a lone argument is one of its tasks rather than an exercise.
 * `task2` is a task; a number without a leading zero (`2`) is a task when `here` has that task;
 * anything else (`05`, `residual`, a path, a number `here` has no task of) is an exercise name.
 *
 * @returns undefined for an exercise name, else the task, with a note when the number also names an exercise
 */
function hereTask(here: string, arg: string, exercises: readonly Exercise[], cwd: string): { note?: string } | undefined {
  if (/^task\s*\d{1,2}$/i.test(arg)) return {};
  if (!/^[1-9]\d?$/.test(arg)) return undefined;
  const ex = exercises.find((e) => e.id === here);
  const hasTask = ex !== undefined && parseHints(ex.hintsText).tasks.some((t) => t.num === Number(arg));
  if (!hasTask) return undefined;
  const other = resolveExercise(arg, { cwd });
  if ('error' in other || other.id === here) return {};
  return { note: `(${arg}: task ${arg} of this exercise; for exercise ${other.id.slice(0, 2)}, type pnpm hint ${other.id.slice(0, 2)})` };
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
  if (flags.has('--help') || flags.has('-h')) {
    console.log(USAGE);
    return 0;
  }
  const exercises = listExercises();
  // pnpm runs scripts from the root; INIT_CWD is where the command was typed. Inside an
  // exercise folder the exercise is implied and a lone number is a task.
  const userCwd = process.env.INIT_CWD ?? process.cwd();
  const here = exerciseHere(path.join(ROOT, 'exercises'), userCwd);
  let note: string | undefined;
  if (here && pos.length === 0) pos.unshift(here);
  else if (here && pos.length === 1) {
    const taken = hereTask(here, pos[0], exercises, userCwd);
    if (taken) {
      pos.unshift(here);
      note = taken.note;
    }
  }
  if (pos.length === 0) {
    overview(exercises);
    return 0;
  }
  if (pos.length > 2) {
    console.error(`Too many arguments: ${pos.join(' ')}\n\n${USAGE}`);
    return 2;
  }
  const r = resolveExercise(pos[0], { cwd: userCwd });
  if ('error' in r) {
    console.error(r.error);
    const inHere = here ? exercises.find((e) => e.id === here) : undefined;
    if (inHere && pos.length === 1 && /^(task\s*)?\d+$/i.test(pos[0])) {
      const tasks = parseHints(inHere.hintsText).tasks;
      console.error(`Nor is it a task of exercises/${inHere.id}; its tasks: ${tasks.map((x) => `${x.num} (${x.title})`).join(', ')}`);
    }
    return 2;
  }
  const ex = exercises.find((e) => e.id === r.id)!;
  const cmd = here === ex.id ? 'pnpm hint' : `pnpm hint ${ex.num}`;
  if (note) console.log(dim(note));
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
  const seen = load(ex);
  const where = `exercises/${ex.id}${pos[1] !== undefined ? `, task ${tasks[0].num}` : ''}`;

  if (flags.has('--reset')) {
    for (const t of tasks) delete seen[t.num];
    save(ex, seen);
    console.log(`Hints of ${where} hidden again.`);
    return 0;
  }

  if (flags.has('--all')) {
    console.log(bold(`Hints for exercise ${ex.num}: ${ex.title}`) + dim(`  (${where})`));
    console.log();
    for (const t of tasks) {
      console.log(bold(`Task ${t.num}: ${t.title}`));
      t.levels.forEach((_, i) => printLevel(t, i + 1, i + 1 > (seen[t.num] ?? 0)));
      seen[t.num] = t.levels.length;
    }
    save(ex, seen);
    return 0;
  }

  if (pos[1] === undefined) {
    status(ex, tasks, seen, cmd);
    return 0;
  }

  // One task: what was seen, then the next level.
  const t = tasks[0];
  const before = Math.min(seen[t.num] ?? 0, t.levels.length);
  const now = Math.min(before + 1, t.levels.length);
  console.log(bold(`Exercise ${ex.num}, task ${t.num}: ${t.title}`));
  console.log();
  for (let l = 1; l <= now; l++) printLevel(t, l, l > before);
  seen[t.num] = now;
  save(ex, seen);
  if (now === before) console.log(dim(`  That was the last hint of task ${t.num}. The README's task section and "The math" have the rest.`));
  else if (now < t.levels.length) console.log(dim(`  \`${cmd} ${t.num}\` again for hint ${now + 1} of ${t.levels.length}.`));
  else console.log(dim(`  That was the last hint of task ${t.num}.`));
  return 0;
}

process.exit(main(process.argv.slice(2)));
