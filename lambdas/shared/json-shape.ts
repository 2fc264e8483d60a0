/**
 * Checks of a parsed JSON value's shape that no schema can make: nesting
 * depth (a deeply nested value overflows recursive code before any schema
 * reads it) and keys named "__proto__" (JavaScript objects drop them, so a
 * schema never sees them). Iterative, so any depth is safe to check. Used
 * wherever JSON enters: the config file, the execution input, the CLIs.
 */
import { issuePath } from './zod-format.ts';

/**
 * The deepest nesting of objects and arrays an execution input or a config
 * may have. The deepest legitimate one (a release: services, a service, its
 * strategy, its steps, a step) is 6 levels; Step Functions itself only limits
 * the size (256 KiB).
 */
export const MAX_JSON_DEPTH = 32;

const TOO_DEEP = 'levels deep (objects and arrays within each other)';

/** Whether `value` nests objects and arrays more than `maxDepth` levels deep. */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  return jsonShapeProblems(value, maxDepth).some((problem) => problem.includes(TOO_DEEP));
}

/** What is wrong with the shape of `value`, one "field: problem" line each; empty when nothing is. */
export function jsonShapeProblems(value: unknown, maxDepth = MAX_JSON_DEPTH): string[] {
  const problems: string[] = [];
  const stack: Array<{ value: unknown; path: Array<string | number>; depth: number }> = [{ value, path: [], depth: 0 }];
  let tooDeep = false;
  while (stack.length > 0) {
    const next = stack.pop();
    if (!next || typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > maxDepth) {
      if (!tooDeep) {
        tooDeep = true;
        problems.push(
          `${issuePath(next.path.slice(0, 1))}: nested more than ${maxDepth} ${TOO_DEEP}; nothing Baton reads is nested that deep`,
        );
      }
      continue;
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(next.value)
      ? next.value.map((element, index) => [index, element])
      : Object.entries(next.value);
    for (const [key, element] of entries) {
      if (key === '__proto__') {
        problems.push(
          `${issuePath([...next.path, key])}: "__proto__" cannot name a field (JavaScript objects drop it); remove or rename it`,
        );
        continue;
      }
      stack.push({ value: element, path: [...next.path, key], depth });
    }
  }
  return problems;
}
