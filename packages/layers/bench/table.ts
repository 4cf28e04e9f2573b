/**
 * A small box-drawn text table for the benchmark report (numbers right-aligned).
 *
 * @module
 */

/** Column alignment. */
export type Align = 'left' | 'right';

/**
 * Renders rows under a header as a box-drawn table.
 *
 * @param head - column titles
 * @param rows - cells, one array per row, as many as `head`
 * @param align - per column; default left
 */
export function renderTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>, align: readonly Align[] = []): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (s: string, i: number): string => (align[i] === 'right' ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (l: string, m: string, r: string): string => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const row = (cells: readonly string[]): string => '│' + cells.map((c, i) => ` ${pad(c ?? '', i)} `).join('│') + '│';
  return [line('┌', '┬', '┐'), row(head), line('├', '┼', '┤'), ...rows.map(row), line('└', '┴', '┘')].join('\n');
}
