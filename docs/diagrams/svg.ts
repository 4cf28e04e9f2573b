/**
 * A small SVG writer for the diagrams of the guides: boxes, text with sub- and superscripts,
 * arrows, grids of numbers. Every diagram is a plain, self-contained SVG file (no fonts or
 * scripts to fetch), shown by the guides as an image.
 */

/** Colours shared by every diagram, so that one colour means one thing across the guides. */
export const C = {
  ink: '#1f2937',
  muted: '#6b7280',
  grid: '#9ca3af',
  input: '#dbeafe',
  pad: '#f3f4f6',
  kernel: '#bbf7d0',
  output: '#ede9fe',
  hot: '#fdba74',
  hotStroke: '#c2410c',
  grad: '#dc2626',
  gradFill: '#fee2e2',
  frozen: '#cbd5e1',
  train: '#fef3c7',
  accent: '#2563eb',
  /** Distinct colours for things that must be told apart (windows, branches, sources). */
  series: ['#2563eb', '#16a34a', '#c026d3', '#ea580c', '#0891b2', '#ca8a04'],
  seriesFill: ['#dbeafe', '#dcfce7', '#fae8ff', '#ffedd5', '#cffafe', '#fef9c3'],
} as const;

export interface TextOpts {
  readonly size?: number;
  readonly anchor?: 'start' | 'middle' | 'end';
  readonly bold?: boolean;
  readonly italic?: boolean;
  readonly fill?: string;
  readonly mono?: boolean;
}

export interface StrokeOpts {
  readonly stroke?: string;
  readonly width?: number;
  readonly dash?: string;
  readonly fill?: string;
  readonly rx?: number;
  readonly opacity?: number;
  /** Draw an arrow head at the end. */
  readonly arrow?: boolean;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const n = (v: number): string => String(Math.round(v * 100) / 100);

/**
 * Text with light markup: `x_t`, `x_{t-1}` (subscript), `A^t`, `theta^{t}` (superscript);
 * everything else is literal.
 */
export function richText(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if ((ch === '_' || ch === '^') && i + 1 < s.length && i > 0) {
      let body: string;
      if (s[i + 1] === '{') {
        const end = s.indexOf('}', i + 2);
        body = s.slice(i + 2, end < 0 ? s.length : end);
        i = end < 0 ? s.length : end + 1;
      } else {
        body = s[i + 1];
        i += 2;
      }
      out += `<tspan baseline-shift="${ch === '_' ? 'sub' : 'super'}" font-size="72%">${esc(body)}</tspan>`;
    } else {
      out += esc(ch);
      i++;
    }
  }
  return out;
}

/** Formats a number for a grid cell: integers as they are, others to `digits` decimals. */
export function num(v: number, digits = 2): string {
  if (Object.is(v, -0)) v = 0;
  return Number.isInteger(v) ? String(v) : v.toFixed(digits).replace(/0+$/, '').replace(/\.$/, '');
}

/** Thousands separators, as the lecture writes its counts: 40,960,000. */
export const thousands = (v: number): string => v.toLocaleString('en-US');

/** Where a grid was drawn, to point at its cells afterwards. */
export interface GridBox {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly cell: number;
  /** Centre of cell (r, c). */
  at(r: number, c: number): [number, number];
}

export interface GridOpts {
  readonly cell?: number;
  readonly size?: number;
  readonly fill?: (r: number, c: number) => string | undefined;
  readonly bold?: (r: number, c: number) => boolean;
  readonly textFill?: (r: number, c: number) => string | undefined;
  readonly stroke?: string;
}

/** One SVG drawing. */
export class Svg {
  private readonly parts: string[] = [];
  private readonly markers = new Set<string>();

  constructor(
    readonly width: number,
    readonly height: number,
    /** Read by screen readers (`<title>`), and the image's meaning in one sentence. */
    readonly title: string,
  ) {}

  raw(s: string): this {
    this.parts.push(s);
    return this;
  }

  private strokeAttrs(o: StrokeOpts, defFill = 'none'): string {
    const stroke = o.stroke ?? C.ink;
    let a = `fill="${o.fill ?? defFill}" stroke="${stroke}" stroke-width="${o.width ?? 1.5}"`;
    if (o.dash) a += ` stroke-dasharray="${o.dash}"`;
    if (o.opacity !== undefined) a += ` opacity="${o.opacity}"`;
    if (o.arrow) {
      const id = `ah-${stroke.replace('#', '')}`;
      this.markers.add(stroke);
      a += ` marker-end="url(#${id})"`;
    }
    return a;
  }

  rect(x: number, y: number, w: number, h: number, o: StrokeOpts = {}): this {
    return this.raw(`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" rx="${o.rx ?? 0}" ${this.strokeAttrs({ ...o, arrow: false }, '#fff')}/>`);
  }

  circle(cx: number, cy: number, r: number, o: StrokeOpts = {}): this {
    return this.raw(`<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(r)}" ${this.strokeAttrs({ ...o, arrow: false }, '#fff')}/>`);
  }

  line(x1: number, y1: number, x2: number, y2: number, o: StrokeOpts = {}): this {
    return this.raw(`<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" ${this.strokeAttrs(o)}/>`);
  }

  /** An arrow from (x1, y1) to (x2, y2). */
  arrow(x1: number, y1: number, x2: number, y2: number, o: StrokeOpts = {}): this {
    return this.line(x1, y1, x2, y2, { ...o, arrow: true });
  }

  path(d: string, o: StrokeOpts = {}): this {
    return this.raw(`<path d="${d}" ${this.strokeAttrs(o)}/>`);
  }

  /** Text; `s` may hold several lines separated by `\n`, and `_`/`^` markup (see {@link richText}). */
  text(x: number, y: number, s: string, o: TextOpts = {}): this {
    const size = o.size ?? 14;
    const attrs = [
      `x="${n(x)}"`,
      `y="${n(y)}"`,
      `font-size="${size}"`,
      `text-anchor="${o.anchor ?? 'start'}"`,
      `fill="${o.fill ?? C.ink}"`,
      o.bold ? 'font-weight="bold"' : '',
      o.italic ? 'font-style="italic"' : '',
      o.mono ? 'font-family="ui-monospace, Menlo, Consolas, monospace"' : '',
      / {2}/.test(s) ? 'xml:space="preserve" style="white-space:pre"' : '',
    ].filter(Boolean);
    const lines = s.split('\n');
    if (lines.length === 1) return this.raw(`<text ${attrs.join(' ')}>${richText(s)}</text>`);
    const spans = lines.map((l, i) => `<tspan x="${n(x)}" dy="${i === 0 ? 0 : n(size * 1.25)}">${richText(l)}</tspan>`).join('');
    return this.raw(`<text ${attrs.join(' ')}>${spans}</text>`);
  }

  /** A box with centred (possibly multi-line) text. */
  box(x: number, y: number, w: number, h: number, label: string, o: StrokeOpts & { text?: TextOpts } = {}): this {
    this.rect(x, y, w, h, { rx: 6, ...o });
    const size = o.text?.size ?? 14;
    const lines = label.split('\n').length;
    return this.text(x + w / 2, y + h / 2 - ((lines - 1) * size * 1.25) / 2 + size * 0.35, label, { anchor: 'middle', ...o.text });
  }

  /** A grid of numbers (row-major `values`), top-left at (x, y). */
  grid(x: number, y: number, values: readonly (readonly (string | number)[])[], o: GridOpts = {}): GridBox {
    const cell = o.cell ?? 32;
    const size = o.size ?? Math.round(cell * 0.42);
    values.forEach((row, r) =>
      row.forEach((v, c) => {
        this.rect(x + c * cell, y + r * cell, cell, cell, { fill: o.fill?.(r, c) ?? '#fff', stroke: o.stroke ?? C.grid, width: 1 });
        const s = typeof v === 'number' ? num(v) : v;
        if (s !== '') this.text(x + c * cell + cell / 2, y + r * cell + cell / 2 + size * 0.36, s, { size, anchor: 'middle', bold: o.bold?.(r, c), fill: o.textFill?.(r, c) });
      }),
    );
    const rows = values.length;
    const cols = values[0]?.length ?? 0;
    return { x, y, w: cols * cell, h: rows * cell, cell, at: (r, c) => [x + c * cell + cell / 2, y + r * cell + cell / 2] };
  }

  /** Outline of cells (r0..r1, c0..c1) of a grid, inclusive. */
  outline(g: GridBox, r0: number, c0: number, r1: number, c1: number, o: StrokeOpts = {}): this {
    const pad = o.width ? o.width / 2 : 1.5;
    return this.rect(g.x + c0 * g.cell + pad, g.y + r0 * g.cell + pad, (c1 - c0 + 1) * g.cell - 2 * pad, (r1 - r0 + 1) * g.cell - 2 * pad, { fill: 'none', width: 3, ...o });
  }

  toString(): string {
    const defs = [...this.markers]
      .map((c) => `<marker id="ah-${c.replace('#', '')}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`)
      .join('');
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}" role="img" font-family="Helvetica, Arial, sans-serif">`,
      `<title>${esc(this.title)}</title>`,
      defs ? `<defs>${defs}</defs>` : '',
      `<rect width="100%" height="100%" fill="#fff"/>`,
      ...this.parts,
      '</svg>',
      '',
    ].join('\n');
  }
}
