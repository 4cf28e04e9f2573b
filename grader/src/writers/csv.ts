/**
 * CSV writer for a class: one row per submission with the points of each exercise and the
 * total (RFC 4180, via `csv-stringify`).
 *
 * A cell that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or
 * a carriage return) gets a leading `'`, as OWASP recommends against CSV injection; submission
 * names are folder names, which a student may choose.
 *
 * @module
 */
import { stringify } from 'csv-stringify/sync';
import type { SubmissionResult } from '../results.js';

/** A text cell, neutralised if a spreadsheet would take it for a formula. */
export function csvText(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/**
 * The class's grades as CSV: `submission, <one column per exercise>, total, max_total, error`.
 *
 * @param exercises - exercise ids, in column order (every submission is expected to have a
 *   result for each; a missing one is left empty)
 * @returns the document with a header row and CRLF line ends (RFC 4180)
 */
export function toCsv(submissions: readonly SubmissionResult[], exercises: readonly string[]): string {
  const rows: (string | number)[][] = [['submission', ...exercises, 'total', 'max_total', 'error']];
  for (const s of submissions) {
    const points = exercises.map((id) => {
      const e = s.exercises.find((x) => x.id === id);
      return e ? e.score : '';
    });
    rows.push([csvText(s.name), ...points, s.score, s.maxScore, csvText(s.error ?? '')]);
  }
  return stringify(rows, { record_delimiter: 'windows' });
}
