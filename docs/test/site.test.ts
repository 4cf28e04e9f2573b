/**
 * The built docs site (`pnpm run docs` -> docs/site) in a real browser: headless Chromium
 * through playwright-core, the site served over HTTP on 127.0.0.1 by a small server in this
 * test.
 *
 * Checks: the index, an API page and every exercise guide load without console errors or
 * failed requests; the guides show their figures (every image loaded); the search finds an
 * API function and a guide; every internal link and anchor of every page resolves.
 * Screenshots go to docs/screenshots/ (not committed).
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

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SITE = path.join(DOCS, 'site');
const SHOTS = path.join(DOCS, 'screenshots');

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
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${where}: HTTP ${r.status()} for ${r.url()}`);
    });
    const res = await page.goto(base + rel, { waitUntil: 'load' });
    expect(res?.status(), `${where} status`).toBe(200);
    await page.waitForLoadState('networkidle');
    return page;
  }

  async function shot(page: Page, name: string, fullPage = false): Promise<void> {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
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
    // Every image is loaded (a broken one has naturalWidth 0).
    const imgs = await page.$$eval('.col-content img', (els) => els.map((i) => ({ src: (i as HTMLImageElement).currentSrc, ok: (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0 })));
    for (const img of imgs) expect(img.ok, `image ${img.src} loaded`).toBe(true);
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
    await page.close();
  });

  it('getting-started pages and the figure gallery load; the gallery shows every figure', async () => {
    for (const slug of ['students', 'instructors', 'figures']) {
      const page = await open(`documents/${slug}.html`);
      const imgs = await page.$$eval('.col-content img', (els) => els.map((i) => ({ src: (i as HTMLImageElement).currentSrc, ok: (i as HTMLImageElement).naturalWidth > 0 })));
      for (const img of imgs) expect(img.ok, `image ${img.src} loaded`).toBe(true);
      if (slug === 'figures') for (const f of figures) expect(imgs.some((i) => i.src.endsWith(`/media/${f.file}`)), `${f.file} in the gallery`).toBe(true);
      await shot(page, slug, slug === 'figures');
      await page.close();
    }
  });

  it('search finds an API function and an exercise guide', async () => {
    const page = await open('index.html');
    const search = async (q: string): Promise<string[]> => {
      if (!(await page.locator('#tsd-search').evaluate((d) => (d as HTMLDialogElement).open))) await page.locator('#tsd-search-trigger').click();
      // Clear first, so that the results waited for are this query's, not the last one's.
      await page.locator('#tsd-search-input').fill('');
      await page.waitForFunction(() => document.querySelectorAll('#tsd-search-results li a').length === 0, null, { timeout: 15_000 });
      await page.locator('#tsd-search-input').fill(q);
      await page.waitForFunction(() => document.querySelectorAll('#tsd-search-results li a').length > 0, null, { timeout: 15_000 });
      return page.locator('#tsd-search-results li').allInnerTexts();
    };
    const api = await search('conv2dForward');
    expect(api.join('\n')).toMatch(/conv2dForward/);
    await shot(page, 'search-conv2dForward');
    const guide = await search('Residual blocks');
    expect(guide.join('\n')).toMatch(/Residual/i);
    await shot(page, 'search-residual');
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
