/**
 * JSON writer: the {@link GradeReport} as it is, for scripts and class-wide processing.
 *
 * @module
 */
import type { GradeReport } from '../results.js';

/** The report as pretty-printed JSON (with a final newline). */
export function toJson(report: GradeReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
