/**
 * The built docs site (`pnpm run docs` -> docs/site) in a real browser: headless Chromium
 * through playwright-core, the site served over HTTP on 127.0.0.1 by a small server in this
 * test.
 *
 * Checks: the index, an API page and every exercise guide load without console errors,
 * failed requests or requests to any other origin (KaTeX's fonts and stylesheet are served
 * by the site itself); every guide shows its figures and diagrams (every image loaded and
 * non-empty; each diagram in the section it explains) and typeset math; no page of the site
 * shows raw TeX; at phone width (390 px) no guide or getting-started page scrolls sideways;
 * the search puts the guide first for "residual", "stride", "LSTM" and "clipping" and keeps
 * the grader's internals out; every internal link and anchor of every page resolves.
 * Screenshots at desktop (1280 px) and phone (390 px) widths go to docs/screenshots/ (a
 * build output, not committed): look at them.
 *
 * Runs with `pnpm docs:test` after `pnpm run docs`. Without Chromium (or without a built
 * site) the tests are skipped with a message, unless DLKATA_REQUIRE_BROWSER=1 (set by
 * .ci/run), which turns that into a failure. The browser: `CHROMIUM_PATH`, else
 * /usr/bin/chromium or /usr/bin/chromium-browser (Debian: `apt-get install chromium`).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headingAnchor, listExercises } from '../../scripts/lib-docs.js';
import { exerciseOf, readFigureManifest } from '../../packages/lab/src/figures/manifest.js';
import { DIAGRAMS } from '../diagrams/index.js';
import { findRawTex } from './raw-tex.js';

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SITE = path.join(DOCS, 'site');
const SHOTS = path.join(DOCS, 'screenshots');
/** A phone's viewport (iPhone 12-15 class), in CSS pixels. */
const PHONE = { width: 390, height: 844 };
/** What a search for each word must list first: that exercise's guide. */
const SEARCH_FIRST: readonly [string, string][] = [
  ['residual', '05-residual'],
  ['stride', '02-convolution'],
  ['LSTM', '11-lstm'],
  ['clipping', '10-long-term-dependencies'],
];
/** Grader internals that must not turn up in the students' search. */
const NOT_SEARCHABLE = ['WireTensor', 'bundleExercise', 'MAX_TENSOR_SIZE'];

const chromiumPath = (process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']).find((p) => existsSync(p));
const siteBuilt = existsSync(path.join(SITE, 'index.html'));
const required = process.env.DLKATA_REQUIRE_BROWSER === '1';
const missing = !chromiumPath
  ? `Chromium not found at ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} (Debian/Ubuntu: apt-get install chromium; or set CHROMIUM_PATH)`
  : !siteBuilt
    ? 'the site is not built (run `pnpm run docs` first)'
    : null;
if (missing) {
  const msg = `docs site test skipped: ${missing}`;
  if (required) throw new Error(`${msg}; DLKATA_REQUIRE_BROWSER=1 requires it`);
  console.warn(msg);
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** A static file server for docs/site on 127.0.0.1, on a free port. */
function serve(root: string): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (url.pathname === '/favicon.ico' && !existsSync(file)) {
      // Browsers ask for it by themselves; the site has none, which is not a broken link.
      res.writeHead(204).end();
      return;
    }
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${url.pathname}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` })));
}

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? htmlFiles(p) : e.name.endsWith('.html') ? [p] : [];
  });
}

describe.skipIf(missing !== null)('docs site in headless Chromium', () => {
  let server: Server;
  let base: string;
  let context: BrowserContext;
  let profile: string;
  /** Console errors, page errors and failed requests, per page visited. */
  const problems: string[] = [];

  beforeAll(async () => {
    ({ server, base } = await serve(SITE));
    profile = mkdtempSync(path.join(tmpdir(), 'dlkata-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    context.setDefaultTimeout(120_000);
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await context?.close();
    await new Promise((r) => server?.close(r));
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** Opens a page of the site and records every console error, page error and failed request. */
  async function open(rel: string): Promise<Page> {
    const page = await context.newPage();
    const where = `/${rel}`;
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${where}: console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${where}: page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`${where}: request failed: ${r.url()} (${r.failure()?.errorText})`));
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(base) && !/^(data|blob|about):/.test(u)) problems.push(`${where}: fetched from elsewhere at view time: ${u}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${where}: HTTP ${r.status()} for ${r.url()}`);
    });
    // Generous limits: a busy machine can take a while; a hang still fails.
    const res = await page.goto(base + rel, { waitUntil: 'load', timeout: 120_000 });
    expect(res?.status(), `${where} status`).toBe(200);
    await page.waitForLoadState('networkidle', { timeout: 120_000 });
    return page;
  }

  async function shot(page: Page, name: string, fullPage = false): Promise<void> {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
  }

  /**
   * At phone width: a screenshot, and the page must not scroll sideways. On failure the
   * message names the elements that stick out (wide content must scroll inside its own box).
   */
  async function phoneCheck(page: Page, name: string): Promise<void> {
    const desktop = page.viewportSize();
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(100);
    const overflow = await page.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      const sw = document.documentElement.scrollWidth;
      if (sw <= vw + 1) return null;
      const culprits: string[] = [];
      for (const el of Array.from(document.querySelectorAll('body *'))) {
        const r = el.getBoundingClientRect();
        if (r.right <= vw + 1 || r.width === 0) continue;
        let clipped = false;
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
          const ox = getComputedStyle(p).overflowX;
          if (ox !== 'visible' && p.getBoundingClientRect().right <= vw + 1) clipped = true;
        }
        if (!clipped) culprits.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''} (right ${Math.round(r.right)})`);
        if (culprits.length >= 5) break;
      }
      return `page is ${sw} px wide in a ${vw} px viewport; sticking out: ${culprits.join(', ')}`;
    });
    await page.screenshot({ path: path.join(SHOTS, `${name}-phone.png`), fullPage: true });
    if (desktop) await page.setViewportSize(desktop);
    expect(overflow, `${name} at ${PHONE.width} px`).toBeNull();
  }

  it('index: the README with links to the guides and the API', async () => {
    const page = await open('index.html');
    await expect(page.title()).resolves.toMatch(/dlkata/);
    const text = await page.locator('.tsd-panel.tsd-typography').first().innerText();
    expect(text).toContain('Start here');
    for (const ex of listExercises()) expect(await page.locator(`a[href="documents/${ex.id}.html"]`).count(), `link to the ${ex.id} guide`).toBeGreaterThan(0);
    // The navigation (built by the page's script) lists the packages and the guides.
    const nav = page.locator('.site-menu');
    for (const name of ['@dlkata/tensor', '@dlkata/layers', '@dlkata/rnn', '@dlkata/grader', 'Exercise guides', 'Getting started: students']) {
      expect(await nav.getByText(name, { exact: true }).count(), `${name} in the navigation`).toBeGreaterThan(0);
    }
    await shot(page, 'index');
    await phoneCheck(page, 'index');
    await page.close();
  });

  it('an API page documents shapes, errors and an example', async () => {
    const page = await open('functions/_dlkata_layers.conv2dForward.html');
    const body = await page.locator('.col-content').innerText();
    expect(body).toMatch(/conv2dForward/);
    expect(body).toMatch(/\[N, C, H, W\]/);
    expect(body).toMatch(/ShapeError/);
    await shot(page, 'api-conv2dForward');
    await page.close();
  });

  const exercises = listExercises();
  const figures = readFigureManifest();

  it.each(exercises.map((e) => [e.id]))('guide %s: headings, hints, figures loaded', async (id) => {
    const page = await open(`documents/${id}.html`);
    await expect(page.locator('h1').first().innerText()).resolves.toMatch(/\S/);
    // Each task of the README has the anchor that error messages and other pages link to.
    const readme = exercises.find((e) => e.id === id)!.readme;
    for (const t of readme.matchAll(/^##\s+(Task\s+\d+.*)$/gm)) {
      expect(await page.locator(`[id="${headingAnchor(t[1])}"]`).count(), `#${headingAnchor(t[1])} on ${id}`).toBeGreaterThan(0);
    }
    // Every image is loaded (a broken one has naturalWidth 0) and is not an empty file.
    const imgs = await page.$$eval('.col-content img', (els) => els.map((i) => ({ src: (i as HTMLImageElement).currentSrc, ok: (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0 && (i as HTMLImageElement).naturalHeight > 0 })));
    for (const img of imgs) {
      expect(img.ok, `image ${img.src} loaded`).toBe(true);
      const bytes = await page.evaluate(async (src) => (await (await fetch(src)).arrayBuffer()).byteLength, img.src);
      expect(bytes, `image ${img.src} size`).toBeGreaterThan(200);
    }
    // Its diagrams: each one shown, right in the section it explains (the nearest h2 above it).
    const diagrams = DIAGRAMS.filter((d) => d.exercise === id.slice(3));
    expect(diagrams.length, `diagrams of ${id}`).toBeGreaterThan(0);
    for (const d of diagrams) {
      const section = await page.evaluate((file) => {
        const img = Array.from(document.querySelectorAll<HTMLImageElement>('.col-content img')).find((i) => i.getAttribute('src')?.endsWith(`/${file}`));
        if (!img) return null;
        const h2s = Array.from(document.querySelectorAll('.col-content h2'));
        const above = h2s.filter((h) => h.compareDocumentPosition(img) & Node.DOCUMENT_POSITION_FOLLOWING);
        return above.length ? (above[above.length - 1] as HTMLElement).innerText : '';
      }, d.file);
      expect(section, `diagram ${d.file} in ${id}`).not.toBeNull();
      expect(section, `diagram ${d.file} opens the section "${d.before}"`).toContain(d.before);
      await page.locator(`.col-content img[src$="/${d.file}"]`).first().screenshot({ path: path.join(SHOTS, `diagram-${d.file.replace(/\.svg$/, '')}.png`) });
    }
    // Math is typeset: KaTeX's output, and no raw TeX left in the text.
    if (/```math|\$[^$\n]+\$/.test(readme)) expect(await page.locator('.col-content .katex').count(), `typeset math in ${id}`).toBeGreaterThan(0);
    const visible = await page.evaluate(() => {
      const root = document.querySelector('.col-content')!.cloneNode(true) as HTMLElement;
      root.querySelectorAll('pre, code, .katex, script, style').forEach((e) => e.remove());
      return root.textContent ?? '';
    });
    expect(findRawTex(visible), `raw TeX in ${id}`).toEqual([]);
    // The figures of this exercise are shown.
    const ids = exercises.map((e) => e.id);
    const mine = figures.filter((f) => exerciseOf(f, ids) === id);
    for (const f of mine) {
      expect(imgs.some((i) => i.src.endsWith(`/media/${f.file}`)), `${f.file} in ${id}`).toBe(true);
      // A close-up of the figure as the page shows it, to look at.
      await page.locator(`.col-content img[src$="/${f.file}"]`).first().screenshot({ path: path.join(SHOTS, `figure-${id}-${f.file.replace(/\.svg$/, '')}.png`) });
    }
    if (mine.length > 0) {
      await page.locator('#figures-from-real-runs').scrollIntoViewIfNeeded();
      await page.evaluate(() => document.getElementById('figures-from-real-runs')?.scrollIntoView());
      await shot(page, `guide-${id}-figures`);
    }
    // A hint opens.
    const details = page.locator('details:has(> summary:text-matches("^Hint 1 of"))').first();
    if ((await details.count()) > 0) {
      await details.locator('summary').click();
      await expect(details.getAttribute('open')).resolves.not.toBeNull();
    }
    await shot(page, `guide-${id}`, true);
    await phoneCheck(page, `guide-${id}`);
    await page.close();
  });

  it('KaTeX fonts come from the site itself and are used', async () => {
    const page = await open('documents/02-convolution.html');
    const fonts = await page.evaluate(async () => {
      await document.fonts.ready;
      const all: FontFace[] = [];
      document.fonts.forEach((f) => all.push(f));
      return all
        .filter((f) => f.family.replace(/"/g, '').startsWith('KaTeX') && f.status === 'loaded')
        .map((f) => f.family);
    });
    expect(fonts.length, 'KaTeX fonts loaded').toBeGreaterThan(0);
    await page.locator('.katex-display').first().screenshot({ path: path.join(SHOTS, 'math-02-convolution.png') });
    await page.close();
  });

  it('no page of the site shows raw TeX', async () => {
    const pages = htmlFiles(SITE).map((f) => path.relative(SITE, f).split(path.sep).join('/'));
    const page = await open('index.html');
    const found = await page.evaluate(async (rels) => {
      const out: { rel: string; text: string }[] = [];
      for (const rel of rels) {
        const html = await (await fetch(rel)).text();
        const doc = new DOMParser().parseFromString(html, 'text/html');
        doc.querySelectorAll('pre, code, .katex, script, style, .tsd-signature, .tsd-signatures, .tsd-breadcrumb').forEach((e) => e.remove());
        out.push({ rel, text: doc.body?.textContent ?? '' });
      }
      return out;
    }, pages);
    const raw = found.flatMap(({ rel, text }) => findRawTex(text).map((t) => `${rel}: ${t}`));
    expect(raw, `raw TeX on ${new Set(raw.map((r) => r.split(':')[0])).size} of ${pages.length} pages`).toEqual([]);
    await page.close();
  });

  it('getting-started pages and the figure gallery load; the gallery shows every figure', async () => {
    for (const slug of ['students', 'instructors', 'lecture', 'figures']) {
      const page = await open(`documents/${slug}.html`);
      const imgs = await page.$$eval('.col-content img', (els) => els.map((i) => ({ src: (i as HTMLImageElement).currentSrc, ok: (i as HTMLImageElement).naturalWidth > 0 })));
      for (const img of imgs) expect(img.ok, `image ${img.src} loaded`).toBe(true);
      if (slug === 'figures') for (const f of figures) expect(imgs.some((i) => i.src.endsWith(`/media/${f.file}`)), `${f.file} in the gallery`).toBe(true);
      await shot(page, slug, slug === 'figures');
      await phoneCheck(page, slug);
      await page.close();
    }
  });

  it('search: the guide first for what students look for, API functions found, grader internals left out', async () => {
    const page = await open('index.html');
    /** Types `q` into the search; returns the results' links and texts (empty when it finds nothing). */
    const search = async (q: string): Promise<{ href: string; text: string }[]> => {
      if (!(await page.locator('#tsd-search').evaluate((d) => (d as HTMLDialogElement).open))) await page.locator('#tsd-search-trigger').click();
      // Clear first, so that the results waited for are this query's, not the last one's.
      await page.locator('#tsd-search-input').fill('');
      await page.waitForFunction(() => document.querySelectorAll('#tsd-search-results li a').length === 0, null, { timeout: 15_000 });
      await page.locator('#tsd-search-input').fill(q);
      await page.waitForFunction(
        () => document.querySelectorAll('#tsd-search-results li a').length > 0 || (document.getElementById('tsd-search-status')?.textContent ?? '').trim() !== '',
        null,
        { timeout: 15_000 },
      );
      return page.$$eval('#tsd-search-results li a', (as) => as.map((a) => ({ href: (a as HTMLAnchorElement).href, text: (a as HTMLElement).innerText })));
    };
    for (const [q, id] of SEARCH_FIRST) {
      const results = await search(q);
      expect(results.length, `results for "${q}"`).toBeGreaterThan(0);
      expect(results[0].href, `first result for "${q}" (all: ${results.map((r) => r.text).join(' | ')})`).toMatch(new RegExp(`/documents/${id}\\.html$`));
      await shot(page, `search-${q.toLowerCase()}`);
      await phoneCheck(page, `search-${q.toLowerCase()}`);
    }
    const api = await search('conv2dForward');
    expect(api.map((r) => r.text).join('\n')).toMatch(/conv2dForward/);
    for (const q of NOT_SEARCHABLE) {
      const hits = (await search(q)).filter((r) => r.text.includes(q));
      expect(hits, `"${q}" (a grader internal) in the students' search`).toEqual([]);
    }
    // Following a result opens its page.
    await search('conv2dForward');
    await page.locator('#tsd-search-results li a', { hasText: 'conv2dForward' }).first().click();
    await page.waitForURL(/conv2dForward/);
    await page.close();
  });

  it('every internal link and anchor of every page resolves', async () => {
    const pages = htmlFiles(SITE).map((f) => path.relative(SITE, f).split(path.sep).join('/'));
    const cache = new Map<string, { status: number; body: string }>();
    const get = async (url: string) => {
      let r = cache.get(url);
      if (!r) {
        const res = await fetch(url);
        const type = res.headers.get('content-type') ?? '';
        r = { status: res.status, body: /html|svg/.test(type) ? await res.text() : '' };
        cache.set(url, r);
      }
      return r;
    };
    const broken: string[] = [];
    let links = 0;
    for (const rel of pages) {
      const pageUrl = base + rel;
      const { body } = await get(pageUrl);
      for (const m of body.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
        const raw = m[1].replace(/&amp;/g, '&');
        if (raw === '' || raw === '#' || /^(https?:|mailto:|data:|javascript:)/i.test(raw)) continue;
        const u = new URL(raw, pageUrl);
        if (u.origin !== new URL(base).origin) continue;
        links++;
        const target = u.origin + u.pathname;
        const r = await get(target);
        if (r.status !== 200) {
          broken.push(`${rel}: ${raw} -> HTTP ${r.status}`);
          continue;
        }
        const frag = decodeURIComponent(u.hash.slice(1));
        if (frag && !r.body.includes(`id="${frag}"`) && !r.body.includes(`name="${frag}"`)) broken.push(`${rel}: ${raw} -> no anchor #${frag}`);
      }
    }
    expect(broken, `${broken.length} broken of ${links} internal links in ${pages.length} pages`).toEqual([]);
    expect(pages.length).toBeGreaterThan(20);
  });

  it('no console error, page error or failed request on any page visited', () => {
    expect(problems).toEqual([]);
  });
});
