#!/usr/bin/env tsx
/**
 * First step of `pnpm run docs`: writes the markdown pages of the site into `docs/.build/`
 * (a build folder, not committed), which typedoc then renders next to the API reference
 * (`projectDocuments` in docs/typedoc.json), in one site with one search.
 *
 * - `docs/.build/index.md`: the project README with a "Start here" block of links.
 * - `docs/.build/pages/*.md`: the hand-written pages of `docs/pages/` (getting started for
 *   students and for instructors, the figure gallery), with `<!-- exercise-table -->`
 *   replaced by a table of the exercises found on disk.
 * - `docs/.build/guides/NN-topic.md`: one guide per `exercises/NN-topic/`, made from its
 *   README (background, math, shapes, tasks, the grader's tolerances, sources), the grader's
 *   tests and points for it, its hints (folded, one per level), the figures of
 *   `docs/figures/` that belong to it, and the diagrams of `docs/diagrams/` (drawn here into
 *   `docs/.build/diagrams/`), each at the start of the section it explains.
 *
 * Exercises are found on disk: a new exercise folder gets its guide on the next build.
 *
 * Warnings are errors: the build stops (exit code 1) if a guide has no diagram, a diagram
 * finds no section to open, an exercise README has no `## Sources` section, a link points
 * nowhere, a figure file is missing, or a page names a `pnpm` command that does not exist.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DIAGRAMS, writeDiagrams, type Diagram } from '../docs/diagrams/index.js';
import { headingAnchor, listExercises, parseHints, ROOT, unknownPnpmCommands, type Exercise } from './lib-docs.js';
import { figuresFor, readFigureManifest, readPendingProducers, type FigureEntry } from '../packages/lab/src/figures/manifest.js';

const DOCS = path.join(ROOT, 'docs');
const OUT = path.join(DOCS, '.build');
const GUIDES = path.join(OUT, 'guides');
const PAGES = path.join(OUT, 'pages');
const FIGURES = path.join(DOCS, 'figures');
const DIAGRAMS_OUT = path.join(OUT, 'diagrams');

/** What is wrong with the docs; any entry fails the build. */
const problems: string[] = [];
const problem = (msg: string): void => {
  problems.push(msg);
};

/** The exercise topic of a folder name: `02-convolution` -> `convolution`. */
const topicOf = (id: string): string => id.slice(3);

/** The grader's tests of one exercise, if the grader has a suite for it. */
interface SuiteInfo {
  readonly title: string;
  readonly tests: readonly { readonly name: string; readonly points: number }[];
}

async function loadSuites(): Promise<Map<string, SuiteInfo>> {
  const map = new Map<string, SuiteInfo>();
  try {
    const { SUITES } = (await import('../grader/src/suites/index.js')) as { SUITES: readonly (SuiteInfo & { id: string })[] };
    for (const s of SUITES) map.set(s.id, s);
  } catch (e) {
    problem(`could not load the grader's suites (${(e as Error).message.split('\n')[0]}); guides would go without the points table`);
  }
  return map;
}

const yaml = (s: string): string => JSON.stringify(s);
/** Plain text for a markdown table cell: no emphasis, no HTML, no column break. */
const mdText = (s: string): string => s.replace(/[\\`*_[\]|]/g, (c) => `\\${c}`).replace(/</g, '&lt;');

/** Title of a guide page, as shown in the navigation. */
export function guideTitle(ex: Exercise): string {
  return `${ex.num} ${ex.title}`;
}

/** Rewrites one relative markdown link target found in a file at `fromDir`, for a page at `pageDir`. */
function rebaseLink(target: string, fromDir: string, pageDir: string, exercises: readonly Exercise[]): string | null {
  if (/^([a-z]+:|#|\/)/i.test(target)) return target;
  const [file, anchor] = target.split('#');
  const abs = path.resolve(fromDir, decodeURI(file));
  const ex = exercises.find((e) => abs === e.dir || abs === path.join(e.dir, 'README.md'));
  const page = path.relative(path.join(DOCS, 'pages'), abs);
  if (!page.startsWith('..') && !path.isAbsolute(page) && page.endsWith('.md')) {
    return path.relative(pageDir, path.join(PAGES, page)).split(path.sep).join('/') + (anchor ? `#${anchor}` : '');
  }
  if (ex) return path.relative(pageDir, path.join(GUIDES, `${ex.id}.md`)).split(path.sep).join('/') + (anchor ? `#${anchor}` : '');
  if (!existsSync(abs)) return null;
  return path.relative(pageDir, abs).split(path.sep).join('/') + (anchor ? `#${anchor}` : '');
}

/**
 * Rewrites the relative links of markdown written for `fromDir` so that they work from a
 * page in `pageDir`: links to an exercise folder or README go to its guide, links to other
 * files are rebased, links to files that do not exist become plain text (typedoc would
 * warn), and links to HINTS.md go to `hintsTarget`.
 */
function rewriteLinks(md: string, fromDir: string, pageDir: string, exercises: readonly Exercise[], hintsTarget: string): string {
  let inFence = false;
  return md
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
      if (inFence) return line;
      return line.replace(/(!?)\[([^\]]*)\]\(([^)\s]+)\)/g, (all, bang: string, text: string, target: string) => {
        if (/(^|\/)HINTS\.md$/.test(target)) return `[${text === 'HINTS.md' ? 'the hints' : text}](${hintsTarget})`;
        const t = rebaseLink(target, fromDir, pageDir, exercises);
        if (t === null) {
          problem(`${path.relative(ROOT, fromDir)}: link target ${target} does not exist`);
          return text;
        }
        return `${bang}[${text}](${t})`;
      });
    })
    .join('\n');
}

/** Markdown of one figure, for a page in `pageDir`. */
function figureMarkdown(f: FigureEntry, pageDir: string): string {
  const src = path.relative(pageDir, path.join(FIGURES, f.file)).split(path.sep).join('/');
  const quick = f.quick ? ' _This one comes from a `--quick` run (little data, few epochs): a check of the pipeline, not the real figure._' : '';
  return [`### ${f.title}`, '', `![${f.title}](${src})`, '', `${f.caption} Made by \`${f.command}\`.${quick}`, ''].join('\n');
}

/** Markdown of one diagram, for a page in `pageDir`. */
function diagramMarkdown(d: Diagram, pageDir: string): string {
  const src = path.relative(pageDir, path.join(DIAGRAMS_OUT, d.file)).split(path.sep).join('/');
  return [`![${d.title}](${src})`, '', `**${d.title}.** ${d.caption}`, ''].join('\n');
}

/** The source files a student edits: the `.ts` files of the folder that are not tests. */
function studentFiles(ex: Exercise): string[] {
  return readdirSync(ex.dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .sort();
}

function testFiles(ex: Exercise): string[] {
  return readdirSync(ex.dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort();
}

/** Splits markdown into its H2 sections: `[preamble, ...sections]`, each with its heading line. */
function h2Sections(md: string): string[] {
  const out: string[][] = [[]];
  let inFence = false;
  for (const line of md.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (!inFence && /^##\s/.test(line)) out.push([]);
    out[out.length - 1].push(line);
  }
  return out.map((s) => s.join('\n').replace(/\n+$/, '\n'));
}

function guide(ex: Exercise, exercises: readonly Exercise[], suites: Map<string, SuiteInfo>, figures: readonly FigureEntry[]): string {
  const rel = `exercises/${ex.id}`;
  const hints = parseHints(ex.hintsText);
  const readme = rewriteLinks(ex.readme || `# Exercise ${ex.num}: ${ex.title}\n`, ex.dir, GUIDES, exercises, '#hints');
  const [preamble, ...sections] = h2Sections(readme);

  const files = studentFiles(ex);
  const tests = testFiles(ex);
  const glance = [
    '> **In the repository:** `' + rel + '/`. You edit ' + (files.map((f) => `\`${f}\``).join(', ') || 'the `.ts` files') + (tests.length ? `; the visible tests are ${tests.map((f) => `\`${f}\``).join(', ')}.` : '.'),
    '>',
    `> \`pnpm test ${rel}\` runs the tests once, \`pnpm test:watch ${rel}\` on every save; \`pnpm hint ${ex.num}\` shows the next hint; \`pnpm grade ${rel}\` gives the grader's points; \`pnpm progress\` shows every exercise.`,
    '',
  ].join('\n');

  const parts: string[] = [`---\ntitle: ${yaml(guideTitle(ex))}\nslug: ${yaml(ex.id)}\ngroup: "Exercise guides"\n---\n`, preamble.trimEnd() + '\n\n' + glance];
  const figs = figuresFor(ex.id, exercises.map((e) => e.id), figures);
  let figuresPlaced = figs.length === 0;
  const figureSection = (): string =>
    ['## Figures from real runs', '', 'Regenerate them with `pnpm figures` (see [all figures](../pages/figures.md)).', '', ...figs.map((f) => figureMarkdown(f, GUIDES))].join('\n');

  const diagrams = DIAGRAMS.filter((d) => d.exercise === topicOf(ex.id));
  const placed = new Set<Diagram>();
  if (!/^##\s+Sources\s*$/m.test(readme)) problem(`${rel}/README.md has no "## Sources" section: name the lecture items and the papers the exercise teaches (edit solutions/${ex.id}/README.md, then pnpm exercises:generate)`);
  for (const s of sections) {
    const heading = /^##\s+(.*)$/m.exec(s)?.[1] ?? '';
    // Figures go before the first section after the background (usually "The math").
    if (!figuresPlaced && !/^background/i.test(heading)) {
      parts.push(figureSection());
      figuresPlaced = true;
    }
    // Each diagram opens the section it explains, right under its heading.
    const mine = diagrams.filter((d) => !placed.has(d) && heading.includes(d.before));
    mine.forEach((d) => placed.add(d));
    if (mine.length > 0) {
      const [head, ...body] = s.split('\n');
      parts.push([head, '', ...mine.map((d) => diagramMarkdown(d, GUIDES)), ...body].join('\n'));
    } else {
      parts.push(s);
    }
    if (/^how your code is checked/i.test(heading)) {
      const suite = suites.get(ex.id);
      if (suite) {
        const total = suite.tests.reduce((a, t) => a + t.points, 0);
        parts.push(
          [
            '### The grader\'s tests and points',
            '',
            `\`pnpm grade ${rel}\` runs these tests (${total} points in all) on fresh random inputs, with the tolerances above; the seed it prints replays a run exactly.`,
            '',
            '| test | points |',
            '| --- | ---: |',
            ...suite.tests.map((t) => `| ${mdText(t.name)} | ${t.points} |`),
            '',
          ].join('\n'),
        );
      }
    }
  }
  if (!figuresPlaced) parts.push(figureSection());
  for (const d of diagrams) if (!placed.has(d)) problem(`diagram ${d.file} should open the section "${d.before}" of ${rel}/README.md, which has no such "##" heading`);
  if (diagrams.length === 0) problem(`the guide of ${rel} has no diagram of its operation: add one to docs/diagrams/ (exercise: '${topicOf(ex.id)}')`);

  if (hints.tasks.length > 0) {
    const h: string[] = [
      '## Hints',
      '',
      (hints.intro || 'Read one hint at a time; each one is more concrete than the one before.') +
        ` In a terminal, \`pnpm hint ${ex.num}\` reveals them one level at a time, \`pnpm hint ${ex.num} <task>\` one task's.`,
      '',
    ];
    for (const t of hints.tasks) {
      h.push(`### Hints for task ${t.num}: ${t.title}`, '');
      const readmeTask = new RegExp(`^##\\s+Task\\s+${t.num}\\b.*$`, 'im').exec(readme);
      if (readmeTask) h.push(`The task: [Task ${t.num}](#${headingAnchor(readmeTask[0].replace(/^##\s+/, ''))}).`, '');
      t.levels.forEach((level, i) => {
        h.push(`<details><summary>Hint ${i + 1} of ${t.levels.length}</summary>`, '', level, '', '</details>', '');
      });
    }
    parts.push(h.join('\n'));
  }
  return parts.join('\n').replace(/\n{3,}/g, '\n\n');
}

/** A table of the exercises with links to their guides, for a page in `pageDir`. */
function exerciseTable(exercises: readonly Exercise[], pageDir: string): string {
  if (exercises.length === 0) return '_No exercises found in `exercises/`._';
  const rows = exercises.map((e) => {
    const link = path.relative(pageDir, path.join(GUIDES, `${e.id}.md`)).split(path.sep).join('/');
    const tasks = parseHints(e.hintsText).tasks.length || [...e.readme.matchAll(/^##\s+Task\s+\d+/gim)].length;
    return `| [${e.num} ${e.title}](${link}) | \`exercises/${e.id}\` | ${tasks} |`;
  });
  return ['| guide | folder | tasks |', '| --- | --- | ---: |', ...rows].join('\n');
}

function galleryTable(figures: readonly FigureEntry[], exercises: readonly Exercise[], pageDir: string): string {
  const pending = readPendingProducers();
  const notYet = pending.length
    ? ['### Not made yet', '', 'These producers of `pnpm figures` were skipped on its last run because their command does not exist yet:', '', ...pending.map((p) => `- \`${p.producer}\`: ${p.what}. ${p.reason}.`), ''].join('\n')
    : '';
  if (figures.length === 0) return '_No figures yet: run `pnpm figures`._\n\n' + notYet;
  return figures
    .map((f) => {
      const ex = exercises.find((e) => figuresFor(e.id, exercises.map((x) => x.id), [f]).length > 0);
      const where = ex ? ` Shown in the guide [${ex.num} ${ex.title}](${path.relative(pageDir, path.join(GUIDES, `${ex.id}.md`)).split(path.sep).join('/')}).` : '';
      return figureMarkdown({ ...f, caption: f.caption + where }, pageDir);
    })
    .join('\n') + '\n' + notYet;
}

function index(exercises: readonly Exercise[]): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\r\n/g, '\n');
  const body = rewriteLinks(readme, ROOT, OUT, exercises, 'guides/');
  const start = [
    '> **Start here.** [Getting started for students](pages/students.md) · [For instructors](pages/instructors.md) · [Figures](pages/figures.md)',
    '>',
    '> **Exercise guides:** ' + exercises.map((e) => `[${e.num} ${e.title}](guides/${e.id}.md)`).join(' · '),
    '>',
    '> **API reference** (in the navigation): `@dlkata/tensor`, `@dlkata/layers`, `@dlkata/rnn`, `@dlkata/grader`.',
    '',
  ].join('\n');
  // typedoc shows the project's name above the page already: the README's own title goes.
  const lines = body.split('\n');
  const h1 = lines.findIndex((l) => /^#\s/.test(l));
  if (h1 >= 0) lines.splice(h1, 1, start);
  else lines.unshift(start);
  return lines.join('\n');
}

/** Writes everything into docs/.build; returns the number of guides. */
export async function buildGuides(): Promise<number> {
  const exercises = listExercises();
  const suites = await loadSuites();
  const figures = readFigureManifest().filter((f) => {
    if (existsSync(path.join(FIGURES, f.file))) return true;
    problem(`docs/figures/figures.json lists ${f.file}, which is missing; run pnpm figures`);
    return false;
  });
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(GUIDES, { recursive: true });
  mkdirSync(PAGES, { recursive: true });
  const topics = new Set(exercises.map((e) => topicOf(e.id)));
  writeDiagrams(DIAGRAMS_OUT, DIAGRAMS.filter((d) => topics.has(d.exercise)));
  for (const ex of exercises) writeFileSync(path.join(GUIDES, `${ex.id}.md`), guide(ex, exercises, suites, figures));
  const pagesDir = path.join(DOCS, 'pages');
  for (const f of readdirSync(pagesDir).filter((n) => n.endsWith('.md'))) {
    const text = rewriteLinks(readFileSync(path.join(pagesDir, f), 'utf8'), pagesDir, PAGES, exercises, '../guides/')
      .replace('<!-- exercise-table -->', exerciseTable(exercises, PAGES))
      .replace('<!-- figure-gallery -->', galleryTable(figures, exercises, PAGES));
    writeFileSync(path.join(PAGES, f), text);
  }
  writeFileSync(path.join(OUT, 'index.md'), index(exercises));
  checkCommands(exercises);
  checkLayout();
  return exercises.length;
}

/** Every `pnpm X` that the README, the pages and the exercise READMEs tell a reader to type exists. */
function checkCommands(exercises: readonly Exercise[]): void {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const scripts = new Set(Object.keys(pkg.scripts ?? {}));
  const files = [path.join(ROOT, 'README.md'), path.join(DOCS, 'README.md'), ...readdirSync(path.join(DOCS, 'pages')).filter((f) => f.endsWith('.md')).map((f) => path.join(DOCS, 'pages', f)), ...exercises.flatMap((e) => [path.join(e.dir, 'README.md'), path.join(e.dir, 'HINTS.md')])];
  for (const f of files.filter((x) => existsSync(x))) {
    for (const cmd of unknownPnpmCommands(readFileSync(f, 'utf8'), scripts)) problem(`${path.relative(ROOT, f)} tells the reader to run \`${cmd}\`, which is not a script of package.json${cmd === 'pnpm docs' ? ' (pnpm docs is pnpm\'s own command: write pnpm run docs)' : ''}`);
  }
}

/** The README's layout section names every package there is, and calls none of them unwritten. */
function checkLayout(): void {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const layout = /^## Layout\n([\s\S]*?)(?=^## |$(?![\s\S]))/m.exec(readme)?.[1];
  if (!layout) {
    problem('README.md has no "## Layout" section');
    return;
  }
  for (const dir of readdirSync(path.join(ROOT, 'packages'), { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(path.join(ROOT, 'packages', d.name, 'package.json')))) {
    if (!layout.includes(`packages/${dir.name}`)) problem(`README.md's layout section does not mention packages/${dir.name}`);
  }
  for (const line of layout.split('\n').filter((l) => /not (yet )?written|to be written|coming soon/i.test(l))) problem(`README.md's layout section says something is not written: "${line.trim()}"`);
}

const started = Date.now();
const n = await buildGuides();
if (problems.length > 0) {
  console.error(`docs: ${problems.length} problem(s), the build stops:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`docs: ${n} exercise guides, ${DIAGRAMS.length} diagrams and the pages of docs/pages written to docs/.build (${Date.now() - started} ms)`);
