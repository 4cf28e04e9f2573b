/** Types of exercise-names.mjs (one name for an exercise, everywhere). */
export declare const ROOT: string;
export declare const EXERCISE_ID: RegExp;
export declare function exerciseIds(dir?: string): string[];
export declare function exerciseContaining(absPath: string, exercisesDir?: string): string | undefined;
export declare function exerciseHere(exercisesDir?: string, cwd?: string): string | undefined;
export declare function userCwd(): string;
export declare function closestExercises(name: string, ids: readonly string[], n?: number): string[];
export type Resolved = { id: string; dir: string; file?: string };
export declare function resolveExercise(arg: string, opts?: { exercisesDir?: string; cwd?: string }): Resolved | { error: string };
export declare function caseInsensitivePattern(pattern: string): string;
export declare function gradeTarget(arg: string | undefined, cwd?: string): { target: string } | { error: string };
