// @ts-check
/**
 * typedoc plugin of the dlkata docs.
 *
 * - **Stable guide addresses**: the `dlkata` router is typedoc's default `kind` router except
 *   that a markdown page with a `slug` in its front matter gets the address
 *   `documents/<slug>.html` (e.g. `documents/05-residual.html`) instead of one made from its
 *   title, so links to a guide (from error messages, the README, bookmarks) survive a change
 *   of title.
 * - **Math typeset at build time**: `$...$` (inline), `$$...$$` and fenced `math` blocks
 *   (display), in the guides and in doc comments alike, are rendered to HTML by KaTeX while
 *   the site is built (the notation GitHub renders too). KaTeX's stylesheet and fonts are
 *   copied into `assets/katex/`, so a page fetches nothing from elsewhere. A formula KaTeX
 *   cannot parse is an error, which fails the build.
 * - **Search for students**: the guides and getting-started pages rank above API symbols
 *   (`searchGroupBoosts` in typedoc.json; their headings and pictures are a search field of
 *   their own; properties and methods weigh less), and the grader's API (`@dlkata/grader`:
 *   sandbox, wire format, reports) is left out of the search; it is still in the navigation
 *   for instructors.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { tex } from '@mdit/plugin-tex';
import katex from 'katex';
import { Application, IndexEvent, JSX, KindRouter, ReflectionKind, RendererEvent } from 'typedoc';

/** Packages whose API is for instructors and maintainers: not in the students' search. */
export const NOT_IN_SEARCH = ['@dlkata/grader'];

const require = createRequire(import.meta.url);
const KATEX_DIST = path.dirname(require.resolve('katex/dist/katex.min.css'));

/**
 * Renders TeX with KaTeX to HTML (with MathML for screen readers). Throws KaTeX's
 * `ParseError` on TeX it cannot parse, and on anything its strict mode flags.
 *
 * @param {string} texSource
 * @param {boolean} displayMode
 * @returns {string}
 */
export function renderTex(texSource, displayMode) {
  return katex.renderToString(texSource, { displayMode, throwOnError: true, strict: 'error', output: 'htmlAndMathml' });
}

/**
 * KaTeX's stylesheet with only the woff2 fonts (every browser the site targets reads woff2;
 * the woff and ttf copies would be dead weight).
 *
 * @param {string} css
 * @returns {string}
 */
export function woff2Only(css) {
  return css.replace(/,\s*url\([^)]*\.woff\)\s*format\("woff"\)/g, '').replace(/,\s*url\([^)]*\.ttf\)\s*format\("truetype"\)/g, '');
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.renderer.defineRouter(
    'dlkata',
    class extends KindRouter {
      /** @param {import('typedoc').Reflection} reflection */
      getIdealBaseName(reflection) {
        if (reflection.isDocument() && reflection.parent?.isProject() && typeof reflection.frontmatter['slug'] === 'string') {
          return `documents/${reflection.frontmatter['slug']}`;
        }
        return super.getIdealBaseName(reflection);
      }
    },
  );

  // --- math ---
  // Set once the options are final: typedoc resets them after loading plugins.
  app.on(Application.EVENT_BOOTSTRAP_END, () => {
    /** @type {(md: any) => void} */
    const previousLoader = app.options.getValue('markdownItLoader');
    app.options.setValue('markdownItLoader', (/** @type {any} */ md) => {
      previousLoader?.(md);
      md.use(tex, {
        delimiters: 'dollars',
        mathFence: true,
        render: (/** @type {string} */ content, /** @type {boolean} */ displayMode) => {
          try {
            return renderTex(content, displayMode);
          } catch (e) {
            app.logger.error(`math: KaTeX cannot typeset ${displayMode ? '$$' : '$'}${content}${displayMode ? '$$' : '$'}: ${/** @type {Error} */ (e).message}`);
            return `<code class="tex-error">${content.replace(/[<&]/g, (c) => (c === '<' ? '&lt;' : '&amp;'))}</code>`;
          }
        },
      });
    });
  });
  app.renderer.hooks.on('head.end', (context) =>
    JSX.createElement('link', { rel: 'stylesheet', href: context.relativeURL('assets/katex/katex.min.css', true) }),
  );
  app.renderer.on(RendererEvent.END, (event) => {
    const out = path.join(event.outputDirectory, 'assets', 'katex');
    mkdirSync(path.join(out, 'fonts'), { recursive: true });
    writeFileSync(path.join(out, 'katex.min.css'), woff2Only(readFileSync(path.join(KATEX_DIST, 'katex.min.css'), 'utf8')));
    for (const f of readdirSync(path.join(KATEX_DIST, 'fonts')).filter((n) => n.endsWith('.woff2'))) {
      cpSync(path.join(KATEX_DIST, 'fonts', f), path.join(out, 'fonts', f));
    }
  });

  // --- search ---
  app.renderer.on(IndexEvent.PREPARE_INDEX, (event) => {
    for (let i = event.searchResults.length - 1; i >= 0; i--) {
      /** @type {import('typedoc').Reflection | undefined} */
      let r = event.searchResults[i];
      while (r && !(r.parent?.isProject() ?? true)) r = r.parent;
      if (r && NOT_IN_SEARCH.includes(r.name)) event.removeResult(i);
    }
    // A page's headings and pictures say what it is about: a field of their own, weighted
    // between the name and the body text.
    event.searchFieldWeights['headings'] = 5;
    event.searchResults.forEach((r, i) => {
      if (r.isDocument()) {
        event.searchFields[i] = { ...event.searchFields[i], headings: documentHeadings(r.content.map((c) => c.text).join('')) };
      } else if (r.isDeclaration() && r.kindOf(MEMBER_KINDS)) {
        // A property or method named like the word searched (`stride`, `kernel`) is rarely what a
        // student looks for; it stays findable, below the guides and the functions.
        r.relevanceBoost = (r.relevanceBoost ?? 1) * 0.2;
      }
    });
  });
}

const MEMBER_KINDS = ReflectionKind.Property | ReflectionKind.Method | ReflectionKind.Accessor | ReflectionKind.EnumMember;

/**
 * The headings (`#` to `####`) and image descriptions (`![...]`) of a markdown page, outside
 * code fences, as one text for the search index.
 *
 * @param {string} markdown
 * @returns {string}
 */
export function documentHeadings(markdown) {
  const out = [];
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) continue;
    const h = /^#{1,4}\s+(.*)$/.exec(line);
    if (h) out.push(h[1]);
    for (const m of line.matchAll(/!\[([^\]]*)\]/g)) out.push(m[1]);
  }
  return out.join('\n');
}
