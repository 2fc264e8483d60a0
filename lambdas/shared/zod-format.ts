/**
 * Renders zod issues as "field.path: what is wrong" lines, the form every
 * boundary (config file, execution input, CLI) uses to name the bad field.
 */
import type { z } from 'zod';

export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(root)' : out;
}

export function issueLines(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = issuePath([...(prefix ? [prefix] : []), ...issue.path]);
    return `${path}: ${issue.message}`;
  });
}

export function formatIssues(error: z.ZodError, prefix = ''): string {
  return issueLines(error, prefix).join('; ');
}
