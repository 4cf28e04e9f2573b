/**
 * Small hand-made SVG heatmaps for `pnpm figures`: one `<rect>` per pixel, no browser, no
 * canvas. Used for first-layer filters (diverging colours: blue negative, white zero, red
 * positive) and feature maps (a sequential scale from white to dark blue).
 */

/** One panel: a 2-D grid of numbers with a label under it. */
export interface HeatPanel {
  /** Row-major values, `rows * cols` of them. */
  readonly values: ArrayLike<number>;
  readonly rows: number;
  readonly cols: number;
  /** Text under the panel. */
  readonly label: string;
}

/** A row of panels drawn at one pixel size, with a caption line above it. */
export interface HeatRow {
  readonly caption: string;
  readonly panels: readonly HeatPanel[];
  /** Side of one cell in SVG pixels. */
  readonly cell: number;
  /** `diverging` (symmetric around 0) or `sequential` (white at 0 or below). */
  readonly scale: 'diverging' | 'sequential';
  /** Scale each panel to its own largest magnitude (default), or the whole row to the row's. */
  readonly normalize?: 'panel' | 'row';
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function mix(a: readonly number[], b: readonly number[], t: number): string {
  const c = a.map((v, i) => Math.round(v + (b[i] - v) * t));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

const WHITE = [255, 255, 255];
const BLUE = [33, 102, 172];
const RED = [178, 24, 43];
const DARK = [8, 48, 107];

/** Colour of `v` on a diverging scale with limit `m` (> 0). */
function diverging(v: number, m: number): string {
  const t = Math.max(-1, Math.min(1, v / m));
  return t < 0 ? mix(WHITE, BLUE, -t) : mix(WHITE, RED, t);
}

/** Colour of `v` on a sequential scale from 0 to `m` (> 0). */
function sequential(v: number, m: number): string {
  return mix(WHITE, DARK, Math.max(0, Math.min(1, v / m)));
}

/**
 * Renders rows of heatmap panels as one SVG document.
 *
 * @param title - the figure's title, drawn at the top and used as the SVG `<title>`
 * @param rows - the rows, top to bottom; each row wraps after `maxWidth` pixels
 * @param note - a line of small text at the bottom (e.g. the run's settings)
 */
export function heatmapSvg(title: string, rows: readonly HeatRow[], note = '', maxWidth = 760): string {
  const gap = 8;
  const labelH = 14;
  const out: string[] = [];
  let y = 34;
  let width = 0;
  /** Rough width of a line of sans-serif text (the SVG has no layout engine to ask). */
  const textWidth = (s: string, size: number): number => 20 + 0.56 * size * s.length;
  width = Math.max(textWidth(title, 15), note ? textWidth(note, 10) : 0);
  for (const row of rows) {
    width = Math.max(width, textWidth(row.caption, 13));
    out.push(`<text x="10" y="${y + 12}" font-size="13" font-weight="bold">${esc(row.caption)}</text>`);
    y += 20;
    let x = 10;
    let rowH = 0;
    const rowMax = Math.max(1e-12, ...row.panels.flatMap((p) => Array.from(p.values, (v) => Math.abs(v))));
    for (const p of row.panels) {
      const w = p.cols * row.cell;
      const h = p.rows * row.cell;
      if (x + w > maxWidth && x > 10) {
        x = 10;
        y += rowH + labelH + gap;
        rowH = 0;
      }
      const m = row.normalize === 'row' ? rowMax : Math.max(1e-12, ...Array.from(p.values, (v) => Math.abs(v)));
      out.push(`<g transform="translate(${x},${y})"><title>${esc(p.label)}</title>`);
      for (let r = 0; r < p.rows; r++) {
        for (let c = 0; c < p.cols; c++) {
          const v = p.values[r * p.cols + c];
          const fill = row.scale === 'diverging' ? diverging(v, m) : sequential(v, m);
          if (fill === '#ffffff') continue; // the background is white already
          out.push(`<rect x="${c * row.cell}" y="${r * row.cell}" width="${row.cell}" height="${row.cell}" fill="${fill}"/>`);
        }
      }
      out.push(`<rect x="0" y="0" width="${w}" height="${h}" fill="none" stroke="#888" stroke-width="0.5"/>`);
      out.push(`<text x="${w / 2}" y="${h + 11}" font-size="10" text-anchor="middle">${esc(p.label)}</text></g>`);
      x += w + gap;
      width = Math.max(width, x);
      rowH = Math.max(rowH, h);
    }
    y += rowH + labelH + gap + 6;
  }
  if (note) {
    out.push(`<text x="10" y="${y + 4}" font-size="10" fill="#555">${esc(note)}</text>`);
    y += 14;
  }
  const W = Math.ceil(Math.max(width + 10, 420));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 6}" viewBox="0 0 ${W} ${y + 6}" font-family="sans-serif">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
